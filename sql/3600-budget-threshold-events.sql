-- after: 20261122003600-budget-threshold-events
-- Why: owners want to hear when a budget is nearly or fully used, at the moment it happens, not
-- by polling. The rule, in one place: a budget update CROSSES 80% or 100% of its daily or monthly
-- limit when the spending was below the mark before and is at or above it after. Once per
-- crossing, not on every update above the mark; spending going down (a reset) crosses nothing,
-- and the next crossing after it counts again. The one trigger that acts on crossings
-- (_900_threshold_events, sql/6200-alert-events.sql: the threshold_crossed alert event and
-- NOTIFY spendgate_budget_threshold) calls this function once per update.

create or replace function app_private.budget_threshold_crossings(old_row app_public.budgets, new_row app_public.budgets)
  returns table (period text, threshold integer, spent numeric, spending_limit numeric)
  language sql immutable
as $$
  select p.period, t.threshold, p.new_spent, p.lim
    from (values
      ('daily', old_row.current_daily_spending, new_row.current_daily_spending, new_row.daily_limit),
      ('monthly', old_row.current_monthly_spending, new_row.current_monthly_spending, new_row.monthly_limit)
    ) p(period, old_spent, new_spent, lim)
    cross join (values (80), (100)) t(threshold)
   where p.lim > 0
     and p.old_spent < p.lim * t.threshold / 100
     and p.new_spent >= p.lim * t.threshold / 100
   order by p.period, t.threshold;
$$;
comment on function app_private.budget_threshold_crossings(app_public.budgets, app_public.budgets) is
  'The 80%/100% marks of the daily and monthly limits that a budget update crossed upwards (old spending below the mark, new at or above it), in order: period, threshold, new spending, limit.';
revoke all on function app_private.budget_threshold_crossings(app_public.budgets, app_public.budgets) from public;
-- Still executable by spendgate_user, for whom the earlier notifying trigger ran it: during an
-- upgrade, that trigger lives on from this file's transaction until sql/6200's replaces it, and
-- revoking would fail settlements meanwhile. Harmless: it reads nothing but its arguments.
grant execute on function app_private.budget_threshold_crossings(app_public.budgets, app_public.budgets) to spendgate_user;
