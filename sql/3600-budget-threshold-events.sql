-- after: 20261122003600-budget-threshold-events
-- Why: owners want to hear when a budget is nearly or fully used, at the moment it happens, not
-- by polling. A trigger sends a NOTIFY on channel `spendgate_budget_threshold` when the daily or
-- monthly spending of a budget CROSSES 80% or 100% of its limit upwards (old value below the
-- mark, new value at or above it): once per crossing, not on every update above the mark.
-- Resets (spending going down) never notify; the next crossing after a reset notifies again.
-- NOTIFY is transactional: listeners hear it only if the reservation commits.
--
-- Payload (JSON): {"budget_id", "user_id", "project_id", "period": "daily"|"monthly",
--   "threshold": 80|100, "spent", "limit", "at"}. Amounts are JSON strings (exact decimals).

-- Which marks an update crossed: shared by this NOTIFY and by the alert outbox
-- (sql/6200-alert-events.sql), so both report exactly the same crossings.
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
-- Triggers run as the role making the change (admins may update spending counters directly).
grant execute on function app_private.budget_threshold_crossings(app_public.budgets, app_public.budgets) to spendgate_user;

create or replace function app_private.tg_budgets__threshold_events() returns trigger
  language plpgsql volatile
as $$
declare
  v record;
begin
  for v in select * from app_private.budget_threshold_crossings(old, new) loop
    perform pg_catalog.pg_notify('spendgate_budget_threshold', pg_catalog.json_build_object(
      'budget_id', new.id, 'user_id', new.user_id, 'project_id', new.project_id,
      'period', v.period, 'threshold', v.threshold,
      'spent', v.spent::text, 'limit', v.spending_limit::text, 'at', now()
    )::text);
  end loop;
  return null;
end;
$$;
comment on function app_private.tg_budgets__threshold_events() is
  'Trigger (after update on budgets, when a spending counter grows): NOTIFY spendgate_budget_threshold for each of 80%/100% of the daily or monthly limit that the update crossed upwards.';
revoke all on function app_private.tg_budgets__threshold_events() from public;

create or replace trigger _900_threshold_events after update on app_public.budgets
  for each row
  when (new.current_daily_spending > old.current_daily_spending
        or new.current_monthly_spending > old.current_monthly_spending)
  execute function app_private.tg_budgets__threshold_events();
