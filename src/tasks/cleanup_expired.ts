// Task `cleanup_expired` (crontab: src/worker/crontab.ts, hourly). Deletes expired sessions and
// expired phone verification codes (app_private.cleanup_expired, sql/6460-cleanup.sql); the
// cron run's timestamp is the cut-off, and deleting what is already gone changes nothing.
import type { Task } from "graphile-worker";

interface CleanupPayload {
  _cron?: { ts?: string };
}

const cleanupExpired: Task = async (payload, helpers) => {
  const asOf = (payload as CleanupPayload | null)?._cron?.ts ?? null;
  const { rows } = await helpers.withPgClient((client) =>
    client.query<{ sessions_deleted: number; codes_deleted: number }>("select * from app_private.cleanup_expired(coalesce($1::timestamptz, now()))", [asOf]),
  );
  const { sessions_deleted: sessions, codes_deleted: codes } = rows[0]!;
  helpers.logger.info(`cleanup_expired: ${sessions} session(s), ${codes} verification code(s) deleted`, { sessions, codes, asOf });
};

export default cleanupExpired;
