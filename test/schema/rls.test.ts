// Roles, row-level security and column privileges (issue 3 item 6): users see and change only
// their own rows and harmless columns, operators read all and decide, admins do everything,
// anonymous reads nothing, secrets are readable by no API role. Plus the timestamps trigger.
import test from "ava";
import { randomUUID } from "node:crypto";
import { createProject, createUser, fakeHash } from "../helpers/fixtures.ts";
import { admin, anonymous, as, operator, queryAs, sqlState, user, useDatabaseAndApiPool, type Caller } from "./as-role.ts";

const ctx = useDatabaseAndApiPool();

const TABLES_WITH_USER_ID = [
  "users", "projects", "api_keys", "sessions", "budgets", "policies", "requests", "payments", "ai_jobs",
  "data_uploads", "recommendations", "user_profiles", "persona_history",
];

/** A user with one row in every table (as the owner), recommendations approved so the user may see them. */
async function userWithRowsEverywhere(role: "user" | "operator" | "admin" = "user"): Promise<string> {
  const o = ctx.db.ownerPool;
  const id = await createUser(o, { role });
  const project = await createProject(o, id);
  await o.query("insert into app_public.api_keys (user_id, name, key_hash) values ($1, 'key', $2)", [id, fakeHash()]);
  await o.query("insert into app_public.sessions (user_id, refresh_token, expires_at) values ($1, $2, now() + interval '1 day')", [id, fakeHash()]);
  await o.query("insert into app_public.budgets (user_id, project_id, daily_limit) values ($1, $2, 10)", [id, project]);
  await o.query("insert into app_public.policies (user_id, project_id) values ($1, $2)", [id, project]);
  const { rows: [request] } = await o.query(
    "insert into app_public.requests (user_id, project_id, api_provider, model_name, estimated_cost) values ($1, $2, 'openai', 'gpt', 1) returning request_id",
    [id, project],
  );
  await o.query("insert into app_public.payments (user_id, request_id, amount) values ($1, $2, 5)", [id, request.request_id]);
  await o.query("insert into app_public.ai_jobs (user_id, project_id, provider) values ($1, $2, 'anthropic')", [id, project]);
  await o.query("insert into app_public.data_uploads (user_id, file_name, file_type) values ($1, 'a.csv', 'csv')", [id]);
  await o.query("insert into app_public.recommendations (user_id, type, title, status) values ($1, 'education', 'Save more', 'approved')", [id]);
  await o.query("insert into app_public.user_profiles (user_id, persona_id) values ($1, 2)", [id]);
  await o.query("insert into app_public.persona_history (user_id, persona_id) values ($1, 2)", [id]);
  return id;
}

const count = async (caller: Caller, table: string, userId: string) =>
  (await queryAs(ctx.api, caller, `select 1 from app_public.${table} where user_id = $1`, [userId])).rowCount;

test("a user sees their own rows and none of another user's, in every table with a user_id", async (t) => {
  const alice = await userWithRowsEverywhere();
  const bob = await userWithRowsEverywhere();
  for (const table of TABLES_WITH_USER_ID) {
    t.true((await count(user(alice), table, alice))! > 0, `own ${table}`);
    t.is(await count(user(alice), table, bob), 0, `other's ${table}`);
  }
  const everyone = await queryAs(ctx.api, user(alice), "select user_id from app_public.users");
  t.deepEqual(everyone.rows, [{ user_id: alice }]);
});

test("a user cannot update another user's rows in any table", async (t) => {
  const alice = await userWithRowsEverywhere();
  const bob = await userWithRowsEverywhere();
  // Tables where users may update some columns of their own rows: other rows are simply not found.
  const editable: [string, string][] = [
    ["users", "consent_status = true"], ["projects", "description = 'mine'"], ["budgets", "daily_limit = 0"],
    ["policies", "require_approval_above = 0"], ["api_keys", "status = 'revoked'"], ["sessions", "deleted_at = now()"],
    ["data_uploads", "deleted_at = now()"],
  ];
  for (const [table, set] of editable) {
    const result = await queryAs(ctx.api, user(alice), `update app_public.${table} set ${set} where user_id = $1`, [bob]);
    t.is(result.rowCount, 0, table);
  }
  // Tables users only read: no update privilege at all.
  for (const [table, set] of [
    ["requests", "status = 'approved'"], ["payments", "deleted_at = now()"], ["ai_jobs", "deleted_at = now()"],
    ["recommendations", "status = 'approved'"], ["user_profiles", "persona_id = 1"], ["persona_history", "persona_id = 1"],
  ]) {
    t.is(await sqlState(queryAs(ctx.api, user(alice), `update app_public.${table} set ${set} where user_id = $1`, [bob])), "42501", table);
  }
  const { rows } = await ctx.db.ownerPool.query(
    "select (select count(*) from app_public.api_keys where user_id = $1 and status = 'active') as keys, (select count(*) from app_public.sessions where user_id = $1 and deleted_at is null) as sessions",
    [bob],
  );
  t.deepEqual(rows[0], { keys: "1", sessions: "1" });
});

test("no API role can read password_hash, key_hash or refresh_token", async (t) => {
  const alice = await userWithRowsEverywhere();
  const secrets: [string, string][] = [["users", "password_hash"], ["api_keys", "key_hash"], ["sessions", "refresh_token"]];
  for (const caller of [user(alice), operator(alice), admin(alice, true), anonymous]) {
    for (const [table, column] of secrets) {
      t.is(await sqlState(queryAs(ctx.api, caller, `select ${column} from app_public.${table}`)), "42501", `${caller.role} ${table}.${column}`);
      t.is(await sqlState(queryAs(ctx.api, caller, `select * from app_public.${table}`)), "42501", `${caller.role} select * from ${table}`);
    }
  }
  const { rows } = await ctx.db.ownerPool.query(
    `select r || ' ' || c as leak from unnest(array['spendgate_authenticator', 'spendgate_anonymous', 'spendgate_user', 'spendgate_operator', 'spendgate_admin']) r,
            unnest(array['users.password_hash', 'api_keys.key_hash', 'sessions.refresh_token']) c
      where has_column_privilege(r, 'app_public.' || split_part(c, '.', 1), split_part(c, '.', 2), 'select')
         or has_column_privilege(r, 'app_public.' || split_part(c, '.', 1), split_part(c, '.', 2), 'update')`,
  );
  t.deepEqual(rows, []);
});

test("a user cannot change their own role, tier, account status, balances or counters", async (t) => {
  const alice = await userWithRowsEverywhere();
  for (const set of [
    "role = 'admin'", "tier = 'enterprise'", "account_status = 'active'", "available_balance = 1000",
    "total_spending = 0", "total_requests = 0", "password_hash = 'x'",
  ]) {
    t.is(await sqlState(queryAs(ctx.api, user(alice), `update app_public.users set ${set} where user_id = $1`, [alice])), "42501", set);
  }
  for (const [table, set] of [
    ["budgets", "current_daily_spending = 0"], ["budgets", "period_end = now()"], ["api_keys", "usage_count = 0"],
    ["api_keys", "key_hash = 'x'"], ["sessions", "expires_at = now()"], ["projects", "user_id = user_id"],
  ]) {
    t.is(await sqlState(queryAs(ctx.api, user(alice), `update app_public.${table} set ${set} where user_id = $1`, [alice])), "42501", `${table} ${set}`);
  }
});

test("a user edits their own email, phone number and consent", async (t) => {
  const alice = await userWithRowsEverywhere();
  const email = `new-${randomUUID()}@example.com`;
  const { rows } = await queryAs(
    ctx.api,
    user(alice),
    "update app_public.users set email = $2, phone_number = '+15550100', consent_status = true, consent_version = '2.0' where user_id = $1 returning email, consent_status",
    [alice, email],
  );
  t.deepEqual(rows, [{ email, consent_status: true }]);
});

test("a user creates projects, budgets and policies for themselves only", async (t) => {
  const alice = await userWithRowsEverywhere();
  const bob = await userWithRowsEverywhere();
  const created = await as(ctx.api, user(alice), async (client) => {
    const { rows: [project] } = await client.query("insert into app_public.projects (name) values ('mine') returning project_id, user_id");
    const { rows: [budget] } = await client.query(
      "insert into app_public.budgets (project_id, monthly_limit) values ($1, 100) returning user_id",
      [project.project_id],
    );
    const { rows: [policy] } = await client.query(
      "insert into app_public.policies (project_id, allowed_providers) values ($1, '[\"openai\"]') returning user_id",
      [project.project_id],
    );
    return [project.user_id, budget.user_id, policy.user_id];
  });
  t.deepEqual(created, [alice, alice, alice]);
  t.is(await sqlState(queryAs(ctx.api, user(alice), "insert into app_public.projects (user_id, name) values ($1, 'theirs')", [bob])), "42501");
  const bobsProject = await createProject(ctx.db.ownerPool, bob);
  t.is(
    await sqlState(queryAs(ctx.api, user(alice), "insert into app_public.budgets (project_id, daily_limit) values ($1, 1)", [bobsProject])),
    "SGPRJ",
    "a budget on another user's project",
  );
  t.is(
    await sqlState(queryAs(ctx.api, user(alice), "insert into app_public.requests (estimated_cost) values (1)")),
    "42501",
    "requests are written by the gateway's functions only",
  );
});

test("operators read every user's rows in every table, but cannot edit other users' data", async (t) => {
  const alice = await userWithRowsEverywhere();
  const op = await createUser(ctx.db.ownerPool, { role: "operator" });
  for (const table of TABLES_WITH_USER_ID) t.true((await count(operator(op), table, alice))! > 0, table);
  const edit = await queryAs(ctx.api, operator(op), "update app_public.projects set description = 'x' where user_id = $1", [alice]);
  t.is(edit.rowCount, 0, "not another user's project");
  t.is(await sqlState(queryAs(ctx.api, operator(op), "update app_public.users set tier = 'pro' where user_id = $1", [alice])), "42501");
  t.is(await sqlState(queryAs(ctx.api, operator(op), "update app_public.budgets set daily_limit = 0 where user_id = $1", [alice])), undefined);
  const { rows } = await ctx.db.ownerPool.query("select daily_limit from app_public.budgets where user_id = $1", [alice]);
  t.deepEqual(rows, [{ daily_limit: "10.00000000" }], "the operator's update found no row");
});

test("an operator's approval of a recommendation is stamped with who and when; users see only approved ones", async (t) => {
  const alice = await userWithRowsEverywhere();
  const op = await createUser(ctx.db.ownerPool, { role: "operator" });
  const { rows: [rec] } = await ctx.db.ownerPool.query(
    "insert into app_public.recommendations (user_id, type, title) values ($1, 'partner_offer', 'Card') returning recommendation_id",
    [alice],
  );
  const visible = "select 1 from app_public.recommendations where recommendation_id = $1";
  t.is((await queryAs(ctx.api, user(alice), visible, [rec.recommendation_id])).rowCount, 0, "pending is hidden from the user");
  const { rows } = await queryAs(
    ctx.api,
    operator(op),
    "select approved_by, approved_at = now() as now from app_public.approve_recommendation($1)",
    [rec.recommendation_id],
  );
  t.deepEqual(rows, [{ approved_by: op, now: true }]);
  t.is((await queryAs(ctx.api, user(alice), visible, [rec.recommendation_id])).rowCount, 1);
});

test("admins read and change every user's rows", async (t) => {
  const alice = await userWithRowsEverywhere();
  const boss = await createUser(ctx.db.ownerPool, { role: "admin" });
  for (const table of TABLES_WITH_USER_ID) t.true((await count(admin(boss), table, alice))! > 0, table);
  const { rows } = await queryAs(
    ctx.api,
    admin(boss),
    "update app_public.users set tier = 'pro', role = 'operator' where user_id = $1 returning tier, role",
    [alice],
  );
  t.deepEqual(rows, [{ tier: "pro", role: "operator" }]);
  const project = await queryAs(ctx.api, admin(boss), "insert into app_public.projects (user_id, name) values ($1, 'by admin') returning user_id", [alice]);
  t.is(project.rows[0].user_id, alice);
});

test("balances and spend counters are written by no API role, admins included (only the ledger functions move them)", async (t) => {
  const alice = await userWithRowsEverywhere();
  const boss = await createUser(ctx.db.ownerPool, { role: "admin" });
  for (const [table, set] of [
    ["users", "available_balance = 50"], ["users", "total_spending = 0"], ["users", "total_requests = 0"], ["users", "last_request_at = now()"],
    ["budgets", "current_daily_spending = 0"], ["budgets", "current_monthly_spending = 0"],
  ]) {
    t.is(await sqlState(queryAs(ctx.api, admin(boss), `update app_public.${table} set ${set} where user_id = $1`, [alice])), "42501", `${table} ${set}`);
  }
});

test("anonymous requests can read no table", async (t) => {
  await userWithRowsEverywhere();
  for (const table of TABLES_WITH_USER_ID) {
    t.is(await sqlState(queryAs(ctx.api, anonymous, `select count(*) from app_public.${table}`)), "42501", table);
  }
});

test("the authenticator, before switching role, can read no table", async (t) => {
  for (const table of TABLES_WITH_USER_ID) {
    t.is(await sqlState(ctx.api.query(`select count(*) from app_public.${table}`)), "42501", table);
  }
});

test("updated_at moves on every update while created_at never changes", async (t) => {
  const alice = await userWithRowsEverywhere();
  const { rows: [before] } = await ctx.db.ownerPool.query(
    "insert into app_public.projects (user_id, name, created_at, updated_at) values ($1, 'timed', '2020-01-01', '2020-01-01') returning project_id, created_at, updated_at",
    [alice],
  );
  const { rows: [after] } = await queryAs(
    ctx.api,
    user(alice),
    "update app_public.projects set description = 'changed' where project_id = $1 returning created_at, updated_at, updated_at = now() as now",
    [before.project_id],
  );
  t.deepEqual(after.created_at, before.created_at);
  t.true(after.now);
  t.true(after.updated_at > before.updated_at);
  const { rows: [forced] } = await ctx.db.ownerPool.query(
    "update app_public.projects set created_at = now(), updated_at = '2000-01-01' where project_id = $1 returning created_at, updated_at = now() as now",
    [before.project_id],
  );
  t.deepEqual(forced.created_at, before.created_at, "even the owner cannot move created_at");
  t.true(forced.now);
});
