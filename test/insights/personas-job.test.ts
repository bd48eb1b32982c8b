// The nightly compute_personas job as graphile-worker runs it: every active, consenting user at
// once (one set-based statement), the cron run's timestamp as the end of the windows, on demand
// for one user by payload, and a second run changes nothing. It works on every user of the
// database, so the file has a database of its own; time is set by the payload, never waited for.
import test from "ava";
import { Logger, quickAddJob, runOnce } from "graphile-worker";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createUser } from "../helpers/fixtures.ts";
import computePersonas from "../../src/tasks/compute_personas.ts";

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.drop();
});

const silent = new Logger(() => () => undefined);

async function runJob(payload: Record<string, unknown>) {
  const options = { connectionString: db.ownerUrl, taskList: { compute_personas: computePersonas }, logger: silent };
  await quickAddJob(options, "compute_personas", payload);
  await runOnce(options);
  const { rows } = await db.ownerPool.query("select count(*)::int as n from graphile_worker.jobs");
  return rows[0].n as number;
}

async function user(consent: boolean, accountStatus: "active" | "suspended" = "active") {
  const id = await createUser(db.ownerPool, { accountStatus });
  await db.ownerPool.query("update app_public.users set consent_status = $2 where user_id = $1", [id, consent]);
  return id;
}

const profiles = async () =>
  (await db.ownerPool.query<{ user_id: string; persona_name: string; requests: number }>(
    "select user_id, persona_name, (signals_30d ->> 'requests')::int as requests from app_public.user_profiles",
  )).rows;

test.serial("the nightly run covers every active, consenting user as of the cron timestamp; a second run changes nothing", async (t) => {
  const [active, other, noConsent, suspended] = [await user(true), await user(true), await user(false), await user(true, "suspended")];
  // Spending on 2026-03-10: inside the 30 days before 2026-03-20, outside those before 2026-05-20.
  await db.ownerPool.query(
    `insert into app_public.requests (user_id, api_provider, model_name, status, estimated_cost, actual_cost, created_at)
     select $1, 'openai', 'm', 'executed', 1, 1, '2026-03-10T12:00:00Z' from generate_series(1, 3)`,
    [active],
  );
  t.is(await runJob({ _cron: { ts: "2026-03-20T02:15:00Z", backfilled: false } }), 0, "the job succeeded");
  const first = await profiles();
  t.deepEqual(first.map((p) => p.user_id).sort(), [active, other].sort());
  t.false(first.some((p) => p.user_id === noConsent || p.user_id === suspended));
  t.like(first.find((p) => p.user_id === active), { requests: 3 });
  const history = await db.ownerPool.query("select count(*)::int as n from app_public.persona_history");
  const recommendations = await db.ownerPool.query("select count(*)::int as n from app_public.recommendations");

  await runJob({ _cron: { ts: "2026-03-20T02:15:00Z", backfilled: true } });
  t.deepEqual(await profiles(), first);
  t.deepEqual((await db.ownerPool.query("select count(*)::int as n from app_public.persona_history")).rows, history.rows);
  t.deepEqual((await db.ownerPool.query("select count(*)::int as n from app_public.recommendations")).rows, recommendations.rows);

  // Two months later the spending is out of the 30-day window: dormant, a new history row.
  await runJob({ _cron: { ts: "2026-05-20T02:15:00Z", backfilled: false } });
  t.like((await profiles()).find((p) => p.user_id === active), { requests: 0, persona_name: "dormant" });
  const { rows } = await db.ownerPool.query("select persona_name from app_public.persona_history where user_id = $1 order by assigned_at, history_id", [active]);
  t.is(rows.length, 2);
});

test.serial("on demand for one user: only that user's profile is computed", async (t) => {
  const [one, another] = [await user(true), await user(true)];
  await runJob({ userId: one });
  const ids = (await profiles()).map((p) => p.user_id);
  t.true(ids.includes(one));
  t.false(ids.includes(another));
});

test("the crontab runs compute_personas nightly and cleanup_expired hourly", async (t) => {
  const { crontab } = await import("../../src/worker/crontab.ts");
  t.regex(crontab, /^\d+ \d+ \* \* \* compute_personas \?fill=\d+d/m);
  t.regex(crontab, /^\d+ \* \* \* \* cleanup_expired /m);
});
