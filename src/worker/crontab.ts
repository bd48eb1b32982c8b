// Recurring jobs, in graphile-worker's crontab format (times in UTC):
//   minute hour day-of-month month day-of-week task ?options
// `fill` backfills runs missed while no worker was running (for identifiers already known).
export const crontab = [
  // Reset daily and monthly budget spending whose period has ended (src/tasks/reset_budgets.ts);
  // hourly rather than only at midnight so that a missed or failed run is caught up soon.
  "0 * * * * reset_budgets ?fill=2d&jobKey=reset_budgets&jobKeyMode=replace",
  // Release reservations whose hold expired (src/tasks/expire_holds.ts). No backfill: one run
  // releases every hold expired by its time, however many runs were missed.
  "* * * * * expire_holds ?jobKey=expire_holds&jobKeyMode=replace",
].join("\n");
