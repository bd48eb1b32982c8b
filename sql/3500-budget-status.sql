-- after: 20261122003500-budget-status
-- Why: clients (dashboards, agents deciding whether to even try) want "how much is left" without
-- redoing the arithmetic: Budget.budgetStatus. Computed from the row as it would be after a
-- pending reset (a day or period that ended but was not reset yet shows as restarted), so the
-- answer does not depend on when the worker last ran.

create or replace function app_private.percent_used(spent numeric, lim numeric) returns numeric
  language sql immutable
as $$
  select case when lim is null then null when lim = 0 then 100 else round(100 * spent / lim, 2) end;
$$;
comment on function app_private.percent_used(numeric, numeric) is 'spent / lim in percent, 2 decimals; 100 for a zero limit, null without a limit.';
grant execute on function app_private.percent_used(numeric, numeric) to spendgate_user, spendgate_operator, spendgate_admin;

create or replace function app_public.budgets_budget_status(b app_public.budgets) returns app_public.budget_status
  language sql stable
as $$
  select
    d.spent, case when b.daily_limit is not null then greatest(b.daily_limit - d.spent, 0) end, app_private.percent_used(d.spent, b.daily_limit),
    m.spent, case when b.monthly_limit is not null then greatest(b.monthly_limit - m.spent, 0) end, app_private.percent_used(m.spent, b.monthly_limit),
    b.reserved_spending,
    d.resets_at, m.resets_at
  from
    (select case when b.daily_period_start + interval '24 hours' <= now() then b.reserved_spending
                 else b.current_daily_spending end as spent,
            app_private.utc_day_start(now()) + interval '24 hours' as resets_at) d,
    (select case when b.period_end <= now() then b.reserved_spending else b.current_monthly_spending end as spent,
            case when b.period_end <= now()
                 then app_private.add_months_utc(b.period_end, app_private.months_to_advance(b.period_end, now()))
                 else b.period_end end as resets_at) m;
$$;
comment on function app_public.budgets_budget_status(app_public.budgets) is
  'Budget.budgetStatus: remaining daily and monthly amounts and percentage used, as of now (a period that ended counts as already reset).';
revoke all on function app_public.budgets_budget_status(app_public.budgets) from public;
grant execute on function app_public.budgets_budget_status(app_public.budgets) to spendgate_user, spendgate_operator, spendgate_admin;
