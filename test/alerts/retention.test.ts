// Retention of alert history (sql/6800-alert-retention.sql, task prune_alert_history, daily):
// events and webhook attempts older than ALERT_RETENTION_DAYS (90 by default) are deleted, an
// event still waiting for a webhook delivery is kept, and what a client reads through
// alertEventsAfter is what remains. Time is controlled by the cron time the job is given: 100
// days from now, the events made now are 100 days old.
import test from "ava";
import { Logger, quickAddJob, runOnce } from "graphile-worker";
import pruneAlertHistory from "../../src/tasks/prune_alert_history.ts";
import { useTestGateway } from "../helpers/gateway.ts";
import { eventsAfter, spender } from "./support.ts";

const ctx = useTestGateway();
const silent = new Logger(() => () => {});

/** Runs the job as the worker's cron would, at `ts`, and checks it succeeded. */
async function prune(ts: Date): Promise<void> {
  const options = { connectionString: ctx.db.ownerUrl, taskList: { prune_alert_history: pruneAlertHistory }, logger: silent };
  await quickAddJob(options, "prune_alert_history", { _cron: { ts: ts.toISOString(), backfilled: false } });
  await runOnce(options);
  const { rows } = await ctx.db.ownerPool.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'prune_alert_history'");
  if (rows[0].n !== 0) throw new Error("the prune_alert_history job did not succeed");
}

test("events and webhook attempts older than 90 days are deleted, except an event still waiting for delivery", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  await alice.spend("8"); // 80% of the daily limit
  await alice.spend("2"); // 100%
  const [delivered, waiting] = await eventsAfter(ctx.gateway, alice.headers);
  t.truthy(delivered && waiting, "two threshold events, read through HTTP");
  const owner = (text: string, values: unknown[]) => ctx.db.ownerPool.query(text, values);
  const jobTime = new Date(Date.now() + 100 * 86_400_000);
  const { rows: [recent] } = await owner(
    "insert into app_public.alert_events (user_id, kind, payload, created_at) values ($1, 'hold_expired', '{}', $2::timestamptz - interval '1 day') returning event_id",
    [alice.userId, jobTime],
  );
  const { rows: [{ webhook_id: webhookId }] } = await owner(
    "insert into app_public.webhooks (user_id, url, events) values ($1, 'https://hooks.example.com/a', '{threshold_crossed}') returning webhook_id",
    [alice.userId],
  );
  // The first event was delivered (its attempt recorded); the second still waits for a retry.
  await owner("insert into app_private.webhook_queue (webhook_id, event_id, attempts, delivered_at) values ($1, $2, 1, now())", [webhookId, delivered!.eventId]);
  await owner(
    "insert into app_public.webhook_deliveries (webhook_id, event_id, user_id, attempt, status_code, succeeded, duration_ms) values ($1, $2, $3, 1, 200, true, 12)",
    [webhookId, delivered!.eventId, alice.userId],
  );
  await owner("insert into app_private.webhook_queue (webhook_id, event_id, attempts) values ($1, $2, 3)", [webhookId, waiting!.eventId]);
  const ids = async () => (await eventsAfter(ctx.gateway, alice.headers)).map((event) => event.eventId);

  await prune(jobTime);
  t.deepEqual(await ids(), [waiting!.eventId, recent.event_id], "the old delivered event is gone; the waiting one and the recent one stay");
  t.is((await owner("select count(*)::int as n from app_public.webhook_deliveries where webhook_id = $1", [webhookId])).rows[0].n, 0);
  await prune(jobTime);
  t.deepEqual(await ids(), [waiting!.eventId, recent.event_id], "running it again deletes nothing more");

  // Once its delivery is done, the old waiting event goes too.
  await owner("update app_private.webhook_queue set delivered_at = now() where event_id = $1", [waiting!.eventId]);
  await prune(jobTime);
  t.deepEqual(await ids(), [recent.event_id]);
});
