// Task `prune_alert_history` (crontab: src/worker/crontab.ts, daily). Deletes alert events and
// webhook delivery attempts older than ALERT_RETENTION_DAYS before the cron run's time
// (app_private.prune_alert_history, sql/6800-alert-retention.sql); running it again deletes
// nothing more. Reads its one setting itself, since a task is given only its payload.
import type { Task } from "graphile-worker";
import { loadConfigSections } from "../config.ts";

interface PrunePayload {
  _cron?: { ts?: string };
}

const pruneAlertHistory: Task = async (payload, helpers) => {
  const { alerts } = loadConfigSections(["alerts"]);
  const asOf = (payload as PrunePayload | null)?._cron?.ts ?? null;
  const { rows } = await helpers.withPgClient((client) =>
    client.query<{ events_deleted: number; deliveries_deleted: number }>(
      "select * from app_private.prune_alert_history(coalesce($1::timestamptz, now()) - make_interval(days => $2))",
      [asOf, alerts.retentionDays],
    ),
  );
  const { events_deleted: events, deliveries_deleted: deliveries } = rows[0]!;
  helpers.logger.info(`prune_alert_history: ${events} alert event(s), ${deliveries} webhook attempt(s) older than ${alerts.retentionDays} days deleted`, { events, deliveries, asOf });
};

export default pruneAlertHistory;
