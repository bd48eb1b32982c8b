// Domain constraints and defaults (issue 3 item 1): the database itself refuses impossible values,
// whoever writes them (these run as the owner, which bypasses RLS but not constraints).
import test from "ava";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createProject, createUser, fakeHash } from "../helpers/fixtures.ts";
import { sqlState } from "./as-role.ts";

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.drop();
});

const CHECK_VIOLATION = "23514";

test("money can never be negative, and a payment amount must be positive", async (t) => {
  const alice = await createUser(db.ownerPool);
  const o = db.ownerPool;
  for (const column of ["daily_limit", "monthly_limit", "per_request_limit", "current_daily_spending", "current_monthly_spending"]) {
    t.is(await sqlState(o.query(`insert into app_public.budgets (user_id, ${column}) values ($1, -0.00000001)`, [alice])), CHECK_VIOLATION, column);
  }
  t.is(await sqlState(o.query("update app_public.users set available_balance = -1 where user_id = $1", [alice])), CHECK_VIOLATION);
  t.is(await sqlState(o.query("insert into app_public.requests (user_id, estimated_cost) values ($1, -1)", [alice])), CHECK_VIOLATION);
  t.is(await sqlState(o.query("insert into app_public.payments (user_id, amount) values ($1, 0)", [alice])), CHECK_VIOLATION);
  const { rows } = await o.query("insert into app_public.payments (user_id, amount) values ($1, 0.12345678) returning amount, currency", [alice]);
  t.deepEqual(rows, [{ amount: "0.12345678", currency: "USD" }], "eight decimals kept exactly; USD by default");
});

test("currency codes are capital letters and digits, 3 to 10 long, starting with a letter", async (t) => {
  const alice = await createUser(db.ownerPool);
  const insert = (currency: string) =>
    db.ownerPool.query("insert into app_public.payments (user_id, amount, currency) values ($1, 1, $2)", [alice, currency]);
  for (const ok of ["USD", "EUR", "USDC", "BTC"]) await t.notThrowsAsync(insert(ok), ok);
  for (const bad of ["usd", "US", "1USD", "U$D", "TOOLONGCODE1"]) t.is(await sqlState(insert(bad)), CHECK_VIOLATION, bad);
});

test("a budget period defaults to the current UTC month and must end after it starts", async (t) => {
  const alice = await createUser(db.ownerPool);
  const { rows: [row] } = await db.ownerPool.query(
    `insert into app_public.budgets (user_id) values ($1)
     returning period_start = date_trunc('month', now() at time zone 'utc') at time zone 'utc' as starts_this_month,
               period_end = ((period_start at time zone 'utc') + interval '1 month') at time zone 'utc' as ends_a_month_later`,
    [alice],
  );
  t.deepEqual(row, { starts_this_month: true, ends_a_month_later: true });
  const project = await createProject(db.ownerPool, alice);
  const { rows: [custom] } = await db.ownerPool.query(
    "insert into app_public.budgets (user_id, project_id, period_start) values ($1, $2, '2026-01-31T00:00:00Z') returning period_end",
    [alice, project],
  );
  t.is(custom.period_end.toISOString(), "2026-02-28T00:00:00.000Z");
  t.is(
    await sqlState(db.ownerPool.query(
      "insert into app_public.budgets (user_id, project_id, period_start, period_end) values ($1, $2, now(), now())",
      [alice, await createProject(db.ownerPool, alice)],
    )),
    CHECK_VIOLATION,
  );
});

test("a user has one live budget and one live policy per project, and one for all projects", async (t) => {
  const alice = await createUser(db.ownerPool);
  const project = await createProject(db.ownerPool, alice);
  for (const table of ["budgets", "policies"]) {
    await db.ownerPool.query(`insert into app_public.${table} (user_id) values ($1)`, [alice]);
    t.is(await sqlState(db.ownerPool.query(`insert into app_public.${table} (user_id) values ($1)`, [alice])), "23505", `${table} for all projects`);
    await db.ownerPool.query(`insert into app_public.${table} (user_id, project_id) values ($1, $2)`, [alice, project]);
    t.is(await sqlState(db.ownerPool.query(`insert into app_public.${table} (user_id, project_id) values ($1, $2)`, [alice, project])), "23505", `${table} per project`);
  }
});

test("emails must look like emails; persona ids are 1 to 5; policy lists are JSON arrays and rate limits an object", async (t) => {
  const o = db.ownerPool;
  for (const email of ["no-at-sign", "a@b", "two@@x.io", "spa ce@x.io"]) {
    t.is(await sqlState(o.query("insert into app_public.users (email) values ($1)", [email])), CHECK_VIOLATION, email);
  }
  const alice = await createUser(o);
  for (const persona of [0, 6]) {
    t.is(await sqlState(o.query("insert into app_public.user_profiles (user_id, persona_id) values ($1, $2)", [alice, persona])), CHECK_VIOLATION);
    t.is(await sqlState(o.query("insert into app_public.persona_history (user_id, persona_id) values ($1, $2)", [alice, persona])), CHECK_VIOLATION);
  }
  for (const [column, value] of [["allowed_providers", "{}"], ["allowed_models", '"openai"'], ["forbidden_operations", "{}"], ["rate_limits", "[]"]]) {
    t.is(await sqlState(o.query(`insert into app_public.policies (user_id, ${column}) values ($1, $2)`, [alice, value])), CHECK_VIOLATION, column);
  }
  const { rows } = await o.query(
    "insert into app_public.policies (user_id) values ($1) returning allowed_providers, allowed_models, rate_limits, forbidden_operations",
    [alice],
  );
  t.deepEqual(rows, [{ allowed_providers: [], allowed_models: [], rate_limits: {}, forbidden_operations: [] }]);
});

test("only SHA-256 hex digests are accepted where key and refresh token hashes are stored", async (t) => {
  const alice = await createUser(db.ownerPool);
  t.is(
    await sqlState(db.ownerPool.query("insert into app_public.api_keys (user_id, name, key_hash) values ($1, 'k', 'sg_live_plaintextkey')", [alice])),
    CHECK_VIOLATION,
  );
  t.is(
    await sqlState(db.ownerPool.query(
      "insert into app_public.sessions (user_id, refresh_token, expires_at) values ($1, 'a-raw-refresh-token', now())",
      [alice],
    )),
    CHECK_VIOLATION,
  );
  await t.notThrowsAsync(db.ownerPool.query("insert into app_public.api_keys (user_id, name, key_hash) values ($1, 'k', $2)", [alice, fakeHash()]));
});

test("a transaction hash is recorded once per network", async (t) => {
  const alice = await createUser(db.ownerPool);
  const pay = (network: string) =>
    db.ownerPool.query("insert into app_public.payments (user_id, amount, network, tx_hash) values ($1, 1, $2, '0xabc')", [alice, network]);
  await pay(`base-${alice}`);
  t.is(await sqlState(pay(`base-${alice}`)), "23505");
  await t.notThrowsAsync(pay(`ethereum-${alice}`));
});

test("a budget, policy, request or AI job cannot point at another user's project (SGPRJ)", async (t) => {
  const alice = await createUser(db.ownerPool);
  const bob = await createUser(db.ownerPool);
  const bobsProject = await createProject(db.ownerPool, bob);
  for (const [table, extra, values] of [
    ["budgets", "", ""], ["policies", "", ""], ["requests", ", estimated_cost", ", 1"], ["ai_jobs", ", provider", ", 'openai'"],
  ]) {
    t.is(
      await sqlState(db.ownerPool.query(`insert into app_public.${table} (user_id, project_id${extra}) values ($1, $2${values})`, [alice, bobsProject])),
      "SGPRJ",
      table,
    );
  }
});

test("hard-deleting a user cascades to keys, budgets, policies and sessions but is refused while requests or payments exist", async (t) => {
  const o = db.ownerPool;
  const alice = await createUser(o);
  await o.query("insert into app_public.api_keys (user_id, name, key_hash) values ($1, 'k', $2)", [alice, fakeHash()]);
  await o.query("insert into app_public.budgets (user_id) values ($1)", [alice]);
  await o.query("insert into app_public.policies (user_id) values ($1)", [alice]);
  await o.query("insert into app_public.sessions (user_id, refresh_token, expires_at) values ($1, $2, now())", [alice, fakeHash()]);
  await o.query("insert into app_public.requests (user_id, estimated_cost) values ($1, 1)", [alice]);
  // ON DELETE RESTRICT: PostgreSQL 15-17 report foreign_key_violation (23503), 18 restrict_violation (23001).
  const code = await sqlState(o.query("delete from app_public.users where user_id = $1", [alice]));
  t.true(code === "23503" || code === "23001", `refused by ON DELETE RESTRICT (got ${code})`);
  await o.query("delete from app_public.requests where user_id = $1", [alice]);
  await o.query("delete from app_public.users where user_id = $1", [alice]);
  const { rows: [left] } = await o.query(
    `select (select count(*) from app_public.api_keys where user_id = $1) + (select count(*) from app_public.budgets where user_id = $1)
          + (select count(*) from app_public.policies where user_id = $1) + (select count(*) from app_public.sessions where user_id = $1) as n`,
    [alice],
  );
  t.is(Number(left.n), 0);
});
