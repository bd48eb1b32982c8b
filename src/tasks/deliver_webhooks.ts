// Task `deliver_webhooks` (crontab every minute, src/worker/crontab.ts): POSTs due alert events to
// webhooks, at least once each. Claims a batch (app_private.claim_webhook_deliveries: row locks
// skipped by concurrent workers, plus a lease), sends it through src/net/outbound.ts (the SSRF
// rules), and records every attempt (app_private.record_webhook_attempt: delivered on a 2xx,
// otherwise retried with backoff or given up). Every attempt of one event carries the same
// X-Spendgate-Event-Id. Idempotent: what was delivered is never claimed again.
//
// The clock is `payload.now` when given (tests move it forward instead of waiting), else the
// database's now().
import type { Task } from "graphile-worker";
import { loadConfigSections, type OutboundConfig } from "../config.ts";
import { signWebhook } from "../alerts/signature.ts";
import { sendOutbound } from "../net/outbound.ts";

interface Due {
  webhook_id: string;
  event_id: string;
  attempt: number;
  url: string;
  secret: string;
  body: { kind: string };
}

interface Outcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

const BATCH = 20;
/** At most this many batches per run; the next run (a minute later at most) continues. */
const MAX_BATCHES = 10;

async function attempt(due: Due, outbound: OutboundConfig): Promise<Outcome> {
  const body = JSON.stringify(due.body);
  const timestamp = Math.floor(Date.now() / 1000);
  const started = performance.now();
  try {
    const response = await sendOutbound(due.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Spendgate-Webhooks/1",
        "x-spendgate-event-id": due.event_id,
        "x-spendgate-event-kind": due.body.kind,
        "x-spendgate-attempt": String(due.attempt),
        "x-spendgate-timestamp": String(timestamp),
        "x-spendgate-signature": signWebhook(due.secret, timestamp, body),
      },
      body,
    }, outbound);
    const ok = response.status >= 200 && response.status < 300;
    return { statusCode: response.status, error: ok ? null : `HTTP ${response.status}: ${response.body.slice(0, 200)}`, durationMs: elapsed(started) };
  } catch (error) {
    return { statusCode: null, error: (error as Error).message || (error as Error).name, durationMs: elapsed(started) };
  }
}

const elapsed = (started: number) => Math.round(performance.now() - started);

/** The task with its outbound rules; the default export reads them from the environment. */
export function makeDeliverWebhooks(outbound: () => OutboundConfig): Task {
  return async (payload, helpers) => {
    const config = outbound();
    const at = (payload as { now?: string } | null)?.now ?? null;
    // A lease longer than one attempt can take, so that no other worker sends the same row meanwhile.
    const lease = `${Math.ceil(config.timeoutMs / 1000) + 30} seconds`;
    let sent = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const { rows } = await helpers.withPgClient((client) =>
        client.query<Due>("select * from app_private.claim_webhook_deliveries(coalesce($1::timestamptz, now()), $2, $3::interval)", [at, BATCH, lease]),
      );
      if (rows.length === 0) break;
      const outcomes = await Promise.all(rows.map((due) => attempt(due, config)));
      await helpers.withPgClient((client) =>
        client.query(
          `select app_private.record_webhook_attempt(d.webhook_id, d.event_id, coalesce($1::timestamptz, now()), d.status_code, d.error, d.duration_ms)
             from unnest($2::uuid[], $3::uuid[], $4::integer[], $5::text[], $6::integer[]) d(webhook_id, event_id, status_code, error, duration_ms)`,
          [at, rows.map((r) => r.webhook_id), rows.map((r) => r.event_id), outcomes.map((o) => o.statusCode), outcomes.map((o) => o.error), outcomes.map((o) => o.durationMs)],
        ),
      );
      sent += rows.length;
      if (rows.length < BATCH) break;
    }
    if (sent > 0) helpers.logger.info(`deliver_webhooks: ${sent} attempt(s)`, { sent });
  };
}

export default makeDeliverWebhooks(() => loadConfigSections(["outbound"]).outbound);
