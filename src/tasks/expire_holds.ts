// Task `expire_holds` (crontab: src/worker/crontab.ts, every minute). Releases the reservation of
// every request whose hold expired and marks it cancelled with reason hold_expired, in set-based
// SQL (app_private.expire_holds, sql/6150-hold-expiry.sql). The cron run's own timestamp
// (`payload._cron.ts`) is the expiry boundary, so a retried or backfilled run releases exactly
// what it would have released on time; the SQL is idempotent, so at-least-once delivery and
// overlapping runs never release twice.
import type { Task } from "graphile-worker";

interface ExpireHoldsPayload {
  _cron?: { ts?: string };
}

const expireHolds: Task = async (payload, helpers) => {
  const ts = (payload as ExpireHoldsPayload | null)?._cron?.ts ?? null;
  const { rows } = await helpers.withPgClient((client) =>
    client.query<{ released: number }>("select app_private.expire_holds(coalesce($1::timestamptz, now())) as released", [ts]),
  );
  const released = Number(rows[0]?.released ?? 0);
  if (released > 0) helpers.logger.info(`expire_holds: ${released} hold(s) released as of ${ts ?? "now"}`, { released, ts });
};

export default expireHolds;
