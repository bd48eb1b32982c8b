-- Why: clients (dashboards, agents deciding whether to even try) want "how much is left" without
-- redoing the arithmetic: Budget.budgetStatus. Computed from the row as it would be after a
-- pending reset (a day or period that ended but was not reset yet shows as restarted), so the
-- answer does not depend on when the worker last ran.
-- This migration adds its result type; the computed column budgets_budget_status() lives in
-- sql/3500-budget-status.sql.

create type app_public.budget_status as (
  daily_spent numeric,
  daily_remaining numeric,
  daily_percent_used numeric,
  monthly_spent numeric,
  monthly_remaining numeric,
  monthly_percent_used numeric,
  reserved numeric,
  daily_resets_at timestamptz,
  monthly_resets_at timestamptz
);
comment on type app_public.budget_status is 'Where a budget stands now: spending, what remains and the share of each limit used, for the current UTC day and monthly period.';
comment on column app_public.budget_status.daily_spent is 'Spending (settled and reserved) in the current UTC day.';
comment on column app_public.budget_status.daily_remaining is 'daily_limit minus daily_spent, never below 0; null when there is no daily limit.';
comment on column app_public.budget_status.daily_percent_used is 'daily_spent as a percentage of daily_limit, 2 decimals (100 for a zero limit); null when there is no daily limit.';
comment on column app_public.budget_status.monthly_spent is 'Spending (settled and reserved) in the current monthly period.';
comment on column app_public.budget_status.monthly_remaining is 'monthly_limit minus monthly_spent, never below 0; null when there is no monthly limit.';
comment on column app_public.budget_status.monthly_percent_used is 'monthly_spent as a percentage of monthly_limit, 2 decimals (100 for a zero limit); null when there is no monthly limit.';
comment on column app_public.budget_status.reserved is 'Part of the spending that is reserved by requests not settled yet.';
comment on column app_public.budget_status.daily_resets_at is 'When the current UTC day ends.';
comment on column app_public.budget_status.monthly_resets_at is 'When the current monthly period ends.';
