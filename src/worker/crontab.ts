// Recurring jobs, in graphile-worker's crontab format (times in UTC):
//   minute hour day-of-month month day-of-week task ?options
// `fill` backfills runs missed while no worker was running (for identifiers already known).
export const crontab = [
  // Reset daily and monthly budget spending whose period has ended (src/tasks/reset_budgets.ts);
  // hourly rather than only at midnight so that a missed or failed run is caught up soon.
  "0 * * * * reset_budgets ?fill=2d&jobKey=reset_budgets&jobKeyMode=replace",
  // Signals, personas and proposed recommendations of every consenting user, nightly
  // (src/tasks/compute_personas.ts); a missed night is caught up once, not once per night.
  "15 2 * * * compute_personas ?fill=2d&jobKey=compute_personas&jobKeyMode=replace",
  // Expired sessions and phone verification codes (src/tasks/cleanup_expired.ts).
  "30 * * * * cleanup_expired ?jobKey=cleanup_expired&jobKeyMode=replace",
].join("\n");
