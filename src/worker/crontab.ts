// Recurring jobs, in graphile-worker's crontab format (times in UTC):
//   minute hour day-of-month month day-of-week task ?options
// `fill` backfills runs missed while no worker was running (for identifiers already known).
export const crontab = [
  // Reset daily and monthly budget spending whose period has ended (src/tasks/reset_budgets.ts);
  // hourly rather than only at midnight so that a missed or failed run is caught up soon.
  "0 * * * * reset_budgets ?fill=2d&jobKey=reset_budgets&jobKeyMode=replace",
  // Remove uploads never completed within a day, and files of deleted uploads still stored
  // (src/tasks/cleanup_uploads.ts); hourly, so nothing lingers much past its day.
  "30 * * * * cleanup_uploads ?jobKey=cleanup_uploads&jobKeyMode=replace",
  // Send due webhook deliveries and retries (src/tasks/deliver_webhooks.ts); new events are also
  // picked up at once, by the job the outbox queues for them (sql/6210-webhooks.sql).
  "* * * * * deliver_webhooks ?jobKey=deliver_webhooks&jobKeyMode=preserve_run_at",
  // Release reservations whose hold expired (src/tasks/expire_holds.ts). No backfill: one run
  // releases every hold expired by its time, however many runs were missed.
  "* * * * * expire_holds ?jobKey=expire_holds&jobKeyMode=replace",
  // Daily backup at 03:00 UTC when BACKUP_DAILY=true (src/tasks/backup_database.ts); not
  // backfilled: one backup after an outage is enough, the next run is a day away at most.
  "0 3 * * * backup_database ?jobKey=backup_database&jobKeyMode=replace",
  // Signals, personas and proposed recommendations of every consenting user, nightly
  // (src/tasks/compute_personas.ts); a missed night is caught up once, not once per night.
  "15 2 * * * compute_personas ?fill=2d&jobKey=compute_personas&jobKeyMode=replace",
  // Alert events and webhook attempts older than ALERT_RETENTION_DAYS (src/tasks/prune_alert_history.ts).
  "45 3 * * * prune_alert_history ?jobKey=prune_alert_history&jobKeyMode=replace",
  // Expired sessions and phone verification codes (src/tasks/cleanup_expired.ts).
  "30 * * * * cleanup_expired ?jobKey=cleanup_expired&jobKeyMode=replace",
].join("\n");
