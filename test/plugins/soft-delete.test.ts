// Deleting through the API soft-deletes (SoftDeletePlugin): the row disappears from every query
// but stays in the database, the deletion is logged, only admins can see and restore it.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { createUser } from "../helpers/fixtures.ts";

let alice: string;
let bob: string;
let admin: string;
const ctx = useTestGateway({}, async ({ db }) => {
  [alice, bob, admin] = await Promise.all([
    createUser(db.ownerPool, { email: "alice@example.com" }),
    createUser(db.ownerPool, { email: "bob@example.com" }),
    createUser(db.ownerPool, { email: "admin@example.com", role: "admin" }),
  ]);
});

async function createProject(owner: string, name: string): Promise<string> {
  const response = await ctx.gateway.graphql("mutation($name: String!) { createProject(input: {project: {name: $name}}) { project { projectId } } }", { name }, await ctx.gateway.as(owner));
  return response.body.data.createProject.project.projectId;
}
const deleteProject = async (caller: string, projectId: string) =>
  ctx.gateway.graphql("mutation($id: UUID!) { deleteProject(input: {projectId: $id}) { project { projectId deletedAt } } }", { id: projectId }, await ctx.gateway.as(caller));
const projectNames = async (caller: string, headers: Record<string, string> = {}) =>
  (await ctx.gateway.graphql("{ projects { nodes { name } } }", {}, { ...(await ctx.gateway.as(caller, caller === admin ? "admin" : "user")), ...headers })).body.data.projects.nodes.map((p: any) => p.name).sort();

test.serial("deleteProject soft-deletes: the row is gone from queries, kept in the table, and the deletion is logged", async (t) => {
  const projectId = await createProject(alice, "to delete");
  const deleted = await deleteProject(alice, projectId);
  t.is(deleted.body.errors, undefined);
  t.is(deleted.body.data.deleteProject.project.projectId, projectId);
  t.truthy(deleted.body.data.deleteProject.project.deletedAt);
  t.false((await projectNames(alice)).includes("to delete"));
  const { rows } = await ctx.db.ownerPool.query("select deleted_at from app_public.projects where project_id = $1", [projectId]);
  t.truthy(rows[0].deleted_at, "still in the table");
  const log = await ctx.db.ownerPool.query("select action, actor_user_id from app_private.soft_delete_log where table_name = 'projects' and row_pk = $1", [projectId]);
  t.deepEqual(log.rows, [{ action: "delete", actor_user_id: alice }]);
});

test.serial("deleting twice, an unknown id or another user's row is SGNFD and changes nothing", async (t) => {
  const projectId = await createProject(alice, "twice");
  await deleteProject(alice, projectId);
  const again = await deleteProject(alice, projectId);
  t.deepEqual(again.body.errors.map((e: any) => e.extensions.code), ["SGNFD"]);
  const bobs = await createProject(bob, "bob's");
  const other = await deleteProject(alice, bobs);
  t.deepEqual(other.body.errors.map((e: any) => [e.message, e.extensions.code]), [["no Project with this id that you may delete", "SGNFD"]]);
  t.deepEqual(await projectNames(bob), ["bob's"]);
  const unknown = await deleteProject(alice, "00000000-0000-4000-8000-00000000abcd");
  t.is(unknown.body.errors[0].extensions.code, "SGNFD");
});

test.serial("an admin sees soft-deleted rows only with X-Include-Deleted and can restore them; a user cannot", async (t) => {
  const projectId = await createProject(alice, "restorable");
  await deleteProject(alice, projectId);
  t.false((await projectNames(admin)).includes("restorable"));
  t.true((await projectNames(admin, { "x-include-deleted": "true" })).includes("restorable"));

  const restore = (headers: Record<string, string>) =>
    ctx.gateway.graphql("mutation($id: UUID!) { updateProject(input: {projectId: $id, patch: {deletedAt: null}}) { project { name deletedAt } } }", { id: projectId }, headers);
  const byUser = await restore(await ctx.gateway.as(alice));
  t.deepEqual(byUser.body.errors.map((e: any) => e.extensions.code), ["SGNFD"], "the user cannot even see the deleted row");
  const byAdmin = await restore({ ...(await ctx.gateway.as(admin, "admin")), "x-include-deleted": "true" });
  t.deepEqual(byAdmin.body.data.updateProject.project, { name: "restorable", deletedAt: null });
  t.true((await projectNames(alice)).includes("restorable"));
});
