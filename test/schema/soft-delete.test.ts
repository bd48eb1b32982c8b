// Soft delete (seeds 002/004, issue 3 item 5): deleting is `update ... set deleted_at = now()`,
// deleted rows disappear through RLS, admins see and restore them explicitly, every step is logged.
import test from "ava";
import { randomUUID } from "node:crypto";
import { createProject, createUser, fakeHash } from "../helpers/fixtures.ts";
import { admin, as, operator, queryAs, sqlState, user, useDatabaseAndApiPool } from "./as-role.ts";

const ctx = useDatabaseAndApiPool();

const softDeleteProject = (userId: string, projectId: string) =>
  queryAs(ctx.api, user(userId), "update app_public.projects set deleted_at = now() where project_id = $1 returning project_id, deleted_at", [projectId]);

test("a user soft-deletes their own project with UPDATE ... RETURNING (the RLS trap does not fire)", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const project = await createProject(ctx.db.ownerPool, alice);
  const { rows, now } = await as(ctx.api, user(alice), async (client) => {
    const result = await client.query(
      "update app_public.projects set deleted_at = now() where project_id = $1 returning project_id, deleted_at",
      [project],
    );
    const { rows: [{ now }] } = await client.query("select now()");
    return { rows: result.rows, now };
  });
  t.is(rows.length, 1);
  t.is(rows[0].project_id, project);
  t.deepEqual(rows[0].deleted_at, now);
});

test("a soft-deleted row stays visible to the transaction that deleted it, and to no later one", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const project = await createProject(ctx.db.ownerPool, alice);
  const sameTransaction = await as(ctx.api, user(alice), async (client) => {
    await client.query("update app_public.projects set deleted_at = now() where project_id = $1", [project]);
    return (await client.query("select project_id from app_public.projects where project_id = $1", [project])).rowCount;
  });
  t.is(sameTransaction, 1);
  const later = "select project_id from app_public.projects where project_id = $1";
  t.is((await queryAs(ctx.api, user(alice), later, [project])).rowCount, 0, "owner");
  t.is((await queryAs(ctx.api, operator(randomUUID()), later, [project])).rowCount, 0, "operator");
  t.is((await queryAs(ctx.api, admin(randomUUID()), later, [project])).rowCount, 0, "admin without include_deleted");
  t.is((await ctx.db.ownerPool.query(later, [project])).rowCount, 1, "still in the table");
});

test("the deletion time is the transaction's time, whatever the client sends", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const project = await createProject(ctx.db.ownerPool, alice);
  const [row] = await as(ctx.api, user(alice), async (client) => {
    await client.query("update app_public.projects set deleted_at = '2001-01-01' where project_id = $1", [project]);
    return (await client.query("select deleted_at = now() as stamped from app_public.projects where project_id = $1", [project])).rows;
  });
  t.true(row.stamped);
});

test("an admin sees soft-deleted rows only with spendgate.include_deleted, and can restore them", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const boss = await createUser(ctx.db.ownerPool, { role: "admin" });
  const project = await createProject(ctx.db.ownerPool, alice);
  await softDeleteProject(alice, project);

  const select = "select project_id, deleted_at from app_public.projects where project_id = $1";
  t.is((await queryAs(ctx.api, admin(boss), select, [project])).rowCount, 0);
  const seen = await queryAs(ctx.api, admin(boss, true), select, [project]);
  t.is(seen.rowCount, 1);
  t.truthy(seen.rows[0].deleted_at);

  const restored = await queryAs(
    ctx.api,
    admin(boss, true),
    "update app_public.projects set deleted_at = null where project_id = $1 returning project_id, deleted_at",
    [project],
  );
  t.deepEqual(restored.rows, [{ project_id: project, deleted_at: null }]);
  t.is((await queryAs(ctx.api, user(alice), select, [project])).rowCount, 1, "live again for its owner");
});

test("include_deleted shows nothing extra to a role that is not admin", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const project = await createProject(ctx.db.ownerPool, alice);
  await softDeleteProject(alice, project);
  const sneaky = { ...operator(randomUUID()), includeDeleted: true };
  const select = "select project_id from app_public.projects where project_id = $1";
  t.is((await queryAs(ctx.api, sneaky, select, [project])).rowCount, 0);
  t.is((await queryAs(ctx.api, { ...user(alice), includeDeleted: true }, select, [project])).rowCount, 0);
});

test("a user cannot restore: SGDEL within the deleting transaction, and a row deleted earlier is not even found", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const project = await createProject(ctx.db.ownerPool, alice);
  const code = await sqlState(
    as(ctx.api, user(alice), async (client) => {
      await client.query("update app_public.projects set deleted_at = now() where project_id = $1", [project]);
      await client.query("update app_public.projects set deleted_at = null where project_id = $1", [project]);
    }),
  );
  t.is(code, "SGDEL");

  await softDeleteProject(alice, project);
  const attempt = await queryAs(ctx.api, user(alice), "update app_public.projects set deleted_at = null where project_id = $1", [project]);
  t.is(attempt.rowCount, 0);
  const { rows } = await ctx.db.ownerPool.query("select deleted_at from app_public.projects where project_id = $1", [project]);
  t.truthy(rows[0].deleted_at, "still deleted");
});

test("the owner working in SQL directly (not an API role) may restore", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const project = await createProject(ctx.db.ownerPool, alice);
  await softDeleteProject(alice, project);
  const { rowCount } = await ctx.db.ownerPool.query("update app_public.projects set deleted_at = null where project_id = $1", [project]);
  t.is(rowCount, 1);
});

test("every soft delete and restore is logged with the acting user and role", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const boss = await createUser(ctx.db.ownerPool, { role: "admin" });
  const project = await createProject(ctx.db.ownerPool, alice);
  await softDeleteProject(alice, project);
  await queryAs(ctx.api, admin(boss, true), "update app_public.projects set deleted_at = null where project_id = $1", [project]);
  const { rows } = await ctx.db.ownerPool.query(
    "select table_name, action, actor_user_id, actor_role from app_private.soft_delete_log where row_pk = $1 order by id",
    [project],
  );
  t.deepEqual(rows, [
    { table_name: "projects", action: "delete", actor_user_id: alice, actor_role: "spendgate_user" },
    { table_name: "projects", action: "restore", actor_user_id: boss, actor_role: "spendgate_admin" },
  ]);
});

test("an email can be used again once the user holding it was soft-deleted, and not before", async (t) => {
  const email = `Reuse-${randomUUID()}@Example.com`;
  const first = await createUser(ctx.db.ownerPool, { email });
  t.is(await sqlState(createUser(ctx.db.ownerPool, { email: email.toLowerCase() })), "23505", "case-insensitive duplicate");
  await queryAs(ctx.api, user(first), "update app_public.users set deleted_at = now() where user_id = $1 returning user_id", [first]);
  const second = await createUser(ctx.db.ownerPool, { email: email.toLowerCase() });
  t.not(second, first);
});

test("project and API key names can be reused after a soft delete", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const project = await createProject(ctx.db.ownerPool, alice, "shared name");
  t.is(await sqlState(createProject(ctx.db.ownerPool, alice, "shared name")), "23505");
  await softDeleteProject(alice, project);
  await t.notThrowsAsync(createProject(ctx.db.ownerPool, alice, "shared name"));

  const insertKey = () =>
    ctx.db.ownerPool.query("insert into app_public.api_keys (user_id, name, key_hash) values ($1, 'ci', $2) returning id", [alice, fakeHash()]);
  const { rows: [key] } = await insertKey();
  t.is(await sqlState(insertKey()), "23505");
  await queryAs(ctx.api, user(alice), "update app_public.api_keys set deleted_at = now() where id = $1", [key.id]);
  await t.notThrowsAsync(insertKey());
});

test("soft-deleting a user revokes all of that user's API keys and sessions in the same transaction", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const bob = await createUser(ctx.db.ownerPool);
  for (const owner of [alice, bob]) {
    await ctx.db.ownerPool.query("insert into app_public.api_keys (user_id, name, key_hash) values ($1, 'a', $2), ($1, 'b', $3)", [owner, fakeHash(), fakeHash()]);
    await ctx.db.ownerPool.query(
      "insert into app_public.sessions (user_id, refresh_token, expires_at) values ($1, $2, now() + interval '1 day')",
      [owner, fakeHash()],
    );
  }
  const inTransaction = await as(ctx.api, user(alice), async (client) => {
    await client.query("update app_public.users set deleted_at = now() where user_id = $1", [alice]);
    const keys = await client.query("select status, revoked_at = now() as now from app_public.api_keys where user_id = $1", [alice]);
    return keys.rows;
  });
  t.deepEqual(inTransaction, [{ status: "revoked", now: true }, { status: "revoked", now: true }]);

  const owner = ctx.db.ownerPool;
  const keys = await owner.query("select user_id, status, revoked_at is not null as revoked from app_public.api_keys where user_id = any ($1)", [[alice, bob]]);
  for (const key of keys.rows) t.deepEqual([key.status, key.revoked], key.user_id === alice ? ["revoked", true] : ["active", false]);
  const sessions = await owner.query("select user_id, revoked_at is not null as revoked from app_public.sessions where user_id = any ($1)", [[alice, bob]]);
  for (const session of sessions.rows) t.is(session.revoked, session.user_id === alice);
});

test("a soft-deleted API key is revoked, and a revoked key cannot be reactivated (SGRVK)", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const boss = await createUser(ctx.db.ownerPool, { role: "admin" });
  const { rows: [key] } = await ctx.db.ownerPool.query(
    "insert into app_public.api_keys (user_id, name, key_hash) values ($1, 'k', $2) returning id",
    [alice, fakeHash()],
  );
  const deleted = await queryAs(ctx.api, user(alice), "update app_public.api_keys set deleted_at = now() where id = $1 returning status, revoked_at", [key.id]);
  t.is(deleted.rows[0].status, "revoked");
  t.truthy(deleted.rows[0].revoked_at);
  await queryAs(ctx.api, admin(boss, true), "update app_public.api_keys set deleted_at = null where id = $1", [key.id]);
  t.is(await sqlState(queryAs(ctx.api, user(alice), "update app_public.api_keys set status = 'active' where id = $1", [key.id])), "SGRVK");
  t.is(await sqlState(queryAs(ctx.api, admin(boss), "update app_public.api_keys set status = 'active' where id = $1", [key.id])), "SGRVK");
});

test("a user revokes their own API key by setting its status, which stamps revoked_at", async (t) => {
  const alice = await createUser(ctx.db.ownerPool);
  const { rows: [key] } = await ctx.db.ownerPool.query(
    "insert into app_public.api_keys (user_id, name, key_hash) values ($1, 'k', $2) returning id",
    [alice, fakeHash()],
  );
  const { rows } = await queryAs(ctx.api, user(alice), "update app_public.api_keys set status = 'revoked' where id = $1 returning status, revoked_at is not null as stamped", [key.id]);
  t.deepEqual(rows, [{ status: "revoked", stamped: true }]);
});
