// UpdateNotFoundPlugin: an update that changes no row is an SGNFD error, not a silent null;
// the same answer for an unknown id and another user's row.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { createUser } from "../helpers/fixtures.ts";

let alice: string;
let bob: string;
const ctx = useTestGateway({}, async ({ db }) => {
  [alice, bob] = await Promise.all([createUser(db.ownerPool, { email: "alice@example.com" }), createUser(db.ownerPool, { email: "bob@example.com" })]);
});

const rename = async (caller: string, projectId: string, name: string) =>
  ctx.gateway.graphql("mutation($id: UUID!, $name: String!) { updateProject(input: {projectId: $id, patch: {name: $name}}) { project { name } } }", { id: projectId, name }, await ctx.gateway.as(caller));

test("updating your own row works; another user's row and an unknown id are both SGNFD and change nothing", async (t) => {
  const created = await ctx.gateway.graphql('mutation { createProject(input: {project: {name: "mine"}}) { project { projectId } } }', {}, await ctx.gateway.as(bob));
  const projectId = created.body.data.createProject.project.projectId;
  t.deepEqual((await rename(bob, projectId, "renamed")).body.data, { updateProject: { project: { name: "renamed" } } });

  for (const response of [await rename(alice, projectId, "stolen"), await rename(alice, "00000000-0000-4000-8000-00000000abcd", "x")]) {
    t.is(response.body.data.updateProject, null);
    t.deepEqual(response.body.errors.map((e: any) => [e.message, e.extensions.code]), [["no Project with this id that you may change", "SGNFD"]]);
  }
  const { rows } = await ctx.db.ownerPool.query("select name from app_public.projects where project_id = $1", [projectId]);
  t.is(rows[0].name, "renamed");
});
