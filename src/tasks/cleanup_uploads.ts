// Task `cleanup_uploads` (crontab: src/worker/crontab.ts): uploads never completed are removed a
// day after they were created, and deleted uploads whose file is still stored get their removal
// queued again (app_private.cleanup_uploads, sql/6300-uploads.sql). The cron run's timestamp is
// the clock, so a retried run decides as the original would have.
import type { Task } from "graphile-worker";

const cleanupUploads: Task = async (payload, helpers) => {
  const ts = (payload as { _cron?: { ts?: string } } | null)?._cron?.ts ?? null;
  const { rows } = await helpers.withPgClient((client) =>
    client.query<{ abandoned: number }>("select app_private.cleanup_uploads(coalesce($1::timestamptz, now())) as abandoned", [ts]),
  );
  helpers.logger.info(`cleanup_uploads: ${rows[0]?.abandoned ?? 0} abandoned upload(s) removed`, { ts });
};

export default cleanupUploads;
