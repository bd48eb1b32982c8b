// reset_budgets: daily and monthly periods restart when they end (UTC), missed periods are caught
// up in one step, a second run changes nothing, and a reservation made at the same moment is
// never lost. The clock is moved by passing timestamps and moving periods into the past, never
// by waiting. Also run end to end as the graphile-worker task the crontab schedules.
import anyTest, { type TestFn } from "ava";
import pg from "pg";
import { Logger, quickAddJob, runOnce } from "graphile-worker";
import resetBudgetsTask from "../../src/tasks/reset_budgets.ts";
import { createTestDatabase, waitUntilBlocked, type TestDatabase } from "../helpers/database.ts";
import { createBudget, createProject, createUser } from "../helpers/fixtures.ts";
import { asUserInSql, budgetRow } from "./support.ts";

// reset_budgets works on every budget of the database: each test gets a database of its own.
interface Context {
  db: TestDatabase;
  /** Connections for the lock tests, apart from the fixtures' small owner pool. */
  pool: pg.Pool;
}
const test = anyTest as TestFn<Context>;

test.beforeEach(async (t) => {
  t.context.db = await createTestDatabase();
  t.context.pool = new pg.Pool({ connectionString: t.context.db.ownerUrl, max: 6 });
  // The database is dropped with (force) at the end: its idle connections are terminated then.
  t.context.pool.on("error", () => undefined);
});
test.afterEach.always(async (t) => {
  await t.context.pool?.end();
  await t.context.db?.drop();
});

const silent = new Logger(() => () => undefined);

async function reset(db: TestDatabase, now: string | Date): Promise<number> {
  const { rows } = await db.ownerPool.query<{ n: number }>("select app_private.reset_budgets($1::timestamptz) as n", [now]);
  return rows[0]!.n;
}

/** A user with a budget holding `settled` already spent and `reserved` outstanding. */
async function budgetWithSpending(db: TestDatabase, settled: string, reserved: string, limits: { daily?: string; monthly?: string } = {}) {
  const userId = await createUser(db.ownerPool, { balance: "1000" });
  const projectId = await createProject(db.ownerPool, userId);
  const budgetId = await createBudget(db.ownerPool, userId, { projectId, daily: limits.daily ?? "100", monthly: limits.monthly ?? "1000" });
  await asUserInSql(db, userId, "spendgate_user", async (client) => {
    const submit = (cost: string) =>
      client.query<{ request_id: string }>("select request_id from app_public.submit_request($1, 'a', 'openai', 'm', 'e', '{}', $2)", [projectId, cost]);
    const done = (await submit(settled)).rows[0]!.request_id;
    await client.query("select app_public.complete_request($1, $2)", [done, settled]);
    await submit(reserved);
  }, true);
  return { userId, projectId, budgetId };
}

async function setPeriods(db: TestDatabase, budgetId: string, values: { dailyStart?: string; start?: string; end?: string }) {
  await db.ownerPool.query(
    `update app_public.budgets set daily_period_start = coalesce($2::timestamptz, daily_period_start),
       period_start = coalesce($3::timestamptz, period_start), period_end = coalesce($4::timestamptz, period_end)
     where id = $1`,
    [budgetId, values.dailyStart ?? null, values.start ?? null, values.end ?? null],
  );
}

test("a budget whose UTC day ended restarts its daily spending from the outstanding reservations", async (t) => {
  const { db } = t.context;
  const { budgetId } = await budgetWithSpending(db, "3", "2");
  t.like(await budgetRow(db, budgetId), { daily: "5.00000000", monthly: "5.00000000", reserved: "2.00000000" });
  const { rows } = await db.ownerPool.query("select date_trunc('day', now() at time zone 'utc') at time zone 'utc' as today");
  const today: Date = rows[0].today;
  const dayAfter = new Date(today.getTime() + 24 * 3600_000);

  t.is(await reset(db, new Date(dayAfter.getTime() - 1)), 0, "not before the day has ended");
  t.true((await reset(db, dayAfter.toISOString())) >= 1);
  const row = await budgetRow(db, budgetId);
  t.like(row, { daily: "2.00000000", reserved: "2.00000000" }, "settled spending dropped, reservation carried");
  t.deepEqual(row.daily_period_start, dayAfter);
});

test("running it twice changes nothing the second time (idempotent), nor does an older, backfilled run", async (t) => {
  const { db } = t.context;
  const { budgetId } = await budgetWithSpending(db, "1", "1");
  await setPeriods(db, budgetId, { dailyStart: "2026-03-09T00:00:00Z", start: "2026-02-01T00:00:00Z", end: "2026-03-01T00:00:00Z" });
  t.is(await reset(db, "2026-03-10T05:00:00Z") >= 1, true);
  const after = await budgetRow(db, budgetId);
  const { rows } = await db.ownerPool.query("select xmin::text from app_public.budgets where id = $1", [budgetId]);
  await reset(db, "2026-03-10T05:00:00Z");
  await reset(db, "2026-03-10T01:00:00Z");
  t.deepEqual(await budgetRow(db, budgetId), after);
  const { rows: again } = await db.ownerPool.query("select xmin::text from app_public.budgets where id = $1", [budgetId]);
  t.is(again[0].xmin, rows[0].xmin, "the row was not even rewritten");
});

test("several missed monthly periods are caught up in one step, by whole calendar months, never twice", async (t) => {
  const { db } = t.context;
  const { budgetId } = await budgetWithSpending(db, "4", "1.5");
  await setPeriods(db, budgetId, { dailyStart: "2026-06-15T00:00:00Z", start: "2026-01-01T00:00:00Z", end: "2026-02-01T00:00:00Z" });
  t.is(await reset(db, "2026-06-15T10:00:00Z"), 1);
  const row = await budgetRow(db, budgetId);
  t.deepEqual([row.period_start, row.period_end], [new Date("2026-06-01T00:00:00Z"), new Date("2026-07-01T00:00:00Z")]);
  t.like(row, { monthly: "1.50000000", daily: "5.50000000" }, "the day of 2026-06-15 had not ended: daily untouched");
  t.is(await reset(db, "2026-06-30T23:59:59Z"), 1, "only the day ends");
  t.deepEqual((await budgetRow(db, budgetId)).period_end, new Date("2026-07-01T00:00:00Z"));
  t.is(await reset(db, "2026-07-01T00:00:00Z"), 1, "period_end <= now: the boundary itself starts the next period");
  t.deepEqual((await budgetRow(db, budgetId)).period_start, new Date("2026-07-01T00:00:00Z"));
});

test("periods anchored mid-month keep their anchor across years", async (t) => {
  const { db } = t.context;
  const { budgetId } = await budgetWithSpending(db, "1", "0");
  await setPeriods(db, budgetId, { dailyStart: "2027-03-20T00:00:00Z", start: "2025-12-15T00:00:00Z", end: "2026-01-15T00:00:00Z" });
  t.is(await reset(db, "2027-03-20T08:00:00Z"), 1);
  const row = await budgetRow(db, budgetId);
  t.deepEqual([row.period_start, row.period_end], [new Date("2027-03-15T00:00:00Z"), new Date("2027-04-15T00:00:00Z")]);
  t.like(row, { monthly: "0.00000000" });
});

test("soft-deleted budgets are left alone", async (t) => {
  const { db } = t.context;
  const { budgetId } = await budgetWithSpending(db, "1", "0");
  await setPeriods(db, budgetId, { dailyStart: "2026-01-01T00:00:00Z" });
  await db.ownerPool.query("update app_public.budgets set deleted_at = now() where id = $1", [budgetId]);
  await reset(db, "2026-01-03T00:00:00Z");
  t.like(await budgetRow(db, budgetId), { daily: "1.00000000" });
});

test("a reservation committed while the reset waits for its lock is carried into the new day, not lost", async (t) => {
  const { db, pool } = t.context;
  const { userId, projectId, budgetId } = await budgetWithSpending(db, "3", "2");
  const submitter = await pool.connect();
  const resetter = await pool.connect();
  try {
    await submitter.query("begin");
    await submitter.query("select set_config('jwt.claims.user_id', $1, true)", [userId]);
    await submitter.query("set local role spendgate_user");
    const { rows } = await submitter.query("select status from app_public.submit_request($1, 'a', 'openai', 'm', 'e', '{}', 4)", [projectId]);
    t.is(rows[0].status, "approved");
    const resetPid = (await resetter.query("select pg_backend_pid() as pid")).rows[0].pid;
    // The reset's "tomorrow" is after the submitter's day: the day has ended for it only.
    const resetting = resetter.query<{ n: number }>("select app_private.reset_budgets(now() + interval '1 day') as n");
    await waitUntilBlocked(pool, { pid: resetPid });
    await submitter.query("commit");
    t.true((await resetting).rows[0]!.n >= 1);
  } finally {
    submitter.release();
    resetter.release();
  }
  t.like(await budgetRow(db, budgetId), { daily: "6.00000000", reserved: "6.00000000" });
});

test("a reservation made while the reset holds the lock lands in the new day after it", async (t) => {
  const { db, pool } = t.context;
  const { userId, projectId, budgetId } = await budgetWithSpending(db, "3", "2");
  const resetter = await pool.connect();
  const submitter = await pool.connect();
  try {
    await resetter.query("begin");
    t.true((await resetter.query("select app_private.reset_budgets(now() + interval '1 day') as n")).rows[0].n >= 1);
    const submitPid = (await submitter.query("select pg_backend_pid() as pid")).rows[0].pid;
    await submitter.query("begin");
    await submitter.query("select set_config('jwt.claims.user_id', $1, true)", [userId]);
    await submitter.query("set local role spendgate_user");
    const submitting = submitter.query("select status from app_public.submit_request($1, 'a', 'openai', 'm', 'e', '{}', 4)", [projectId]);
    await waitUntilBlocked(pool, { pid: submitPid });
    await resetter.query("commit");
    t.is((await submitting).rows[0].status, "approved");
    await submitter.query("commit");
  } finally {
    resetter.release();
    submitter.release();
  }
  t.like(await budgetRow(db, budgetId), { daily: "6.00000000", reserved: "6.00000000" });
});

test("the graphile-worker task reset_budgets resets as of its cron timestamp and is idempotent", async (t) => {
  const { db, pool } = t.context;
  const { budgetId } = await budgetWithSpending(db, "2", "0.5");
  await setPeriods(db, budgetId, { dailyStart: "2026-04-29T00:00:00Z", start: "2026-03-01T00:00:00Z", end: "2026-04-01T00:00:00Z" });
  // Our pool, not one graphile-worker makes and ends by itself: it is ended before the drop.
  const options = { pgPool: pool, taskList: { reset_budgets: resetBudgetsTask }, logger: silent };
  const payload = { _cron: { ts: "2026-05-02T00:00:00.000Z", backfilled: true } };
  await quickAddJob(options, "reset_budgets", payload);
  await runOnce(options);
  const row = await budgetRow(db, budgetId);
  t.like(row, { daily: "0.50000000", monthly: "0.50000000" });
  t.deepEqual([row.daily_period_start, row.period_start, row.period_end], [
    new Date("2026-05-02T00:00:00Z"), new Date("2026-05-01T00:00:00Z"), new Date("2026-06-01T00:00:00Z"),
  ]);
  const { rows } = await db.ownerPool.query("select count(*)::int as n from graphile_worker.jobs");
  t.is(rows[0].n, 0, "the job succeeded");

  // Delivered again (at least once): nothing changes.
  await quickAddJob(options, "reset_budgets", payload);
  await runOnce(options);
  t.deepEqual(await budgetRow(db, budgetId), row);
});

test("the crontab schedules reset_budgets hourly with backfill", async (t) => {
  const { crontab } = await import("../../src/worker/crontab.ts");
  t.regex(crontab, /^0 \* \* \* \* reset_budgets \?fill=\d+d/m);
});
