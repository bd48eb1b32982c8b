// Task `reset_budgets` (crontab: src/worker/crontab.ts). Resets the daily and monthly spending of
// every budget whose period has ended, in one set-based SQL statement
// (app_private.reset_budgets, sql/3100-budget-resets.sql). The period boundary is the cron run's
// own timestamp (`payload._cron.ts`), not the wall clock, so a backfilled or retried run resets
// exactly what it would have reset on time; the SQL is idempotent, so at-least-once delivery and
// overlapping runs never reset twice.
import type { Task } from "graphile-worker";

interface ResetBudgetsPayload {
  _cron?: { ts?: string; backfilled?: boolean };
}

const resetBudgets: Task = async (payload, helpers) => {
  const ts = (payload as ResetBudgetsPayload | null)?._cron?.ts ?? null;
  const { rows } = await helpers.withPgClient((client) =>
    client.query<{ reset: number }>("select app_private.reset_budgets(coalesce($1::timestamptz, now())) as reset", [ts]),
  );
  const reset = Number(rows[0]?.reset ?? 0);
  helpers.logger.info(`reset_budgets: ${reset} budget(s) reset as of ${ts ?? "now"}`, { reset, ts });
};

export default resetBudgets;
