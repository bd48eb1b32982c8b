// Recurring jobs, in graphile-worker's crontab format (times in UTC):
//   minute hour day-of-month month day-of-week task ?options
// `fill` backfills runs missed while no worker was running (for identifiers already known).
export const crontab = [
  // Send due webhook deliveries and retries (src/tasks/deliver_webhooks.ts); new events are also
  // picked up at once, by the job the outbox queues for them (sql/6210-webhooks.sql).
  "* * * * * deliver_webhooks ?jobKey=deliver_webhooks&jobKeyMode=preserve_run_at",
  // Reset daily and monthly budget spending whose period has ended (src/tasks/reset_budgets.ts);
  // hourly rather than only at midnight so that a missed or failed run is caught up soon.
  "0 * * * * reset_budgets ?fill=2d&jobKey=reset_budgets&jobKeyMode=replace",
].join("\n");
