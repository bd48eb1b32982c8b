-- after: 20261130020400-budget-time-zones
-- Why: clients (dashboards, agents deciding whether to even try) want "how much is left" without
-- redoing the arithmetic: Budget.budgetStatus. Computed from the row as it would be after a
-- pending reset (a day or period that ended but was not reset yet shows as restarted), so the
-- answer does not depend on when the worker last ran. Days and months are those of the budget's
-- time zone. It also shows the live holds (outstanding
-- requests holding the budget, and when the first of them expires) and the next reset.

create or replace function app_public.budgets_budget_status(b app_public.budgets) returns app_public.budget_status
  language sql stable
as $$
  select
    d.spent, case when b.daily_limit is not null then greatest(b.daily_limit - d.spent, 0) end, app_private.percent_used(d.spent, b.daily_limit),
    m.spent, case when b.monthly_limit is not null then greatest(b.monthly_limit - m.spent, 0) end, app_private.percent_used(m.spent, b.monthly_limit),
    b.reserved_spending,
    d.resets_at, m.resets_at,
    h.live_holds, h.next_expiry, least(d.resets_at, m.resets_at)
  from
    (select case when app_private.local_day_end(b.daily_period_start, b.time_zone) <= now() then b.reserved_spending
                 else b.current_daily_spending end as spent,
            app_private.local_day_end(app_private.local_day_start(now(), b.time_zone), b.time_zone) as resets_at) d,
    (select case when b.period_end <= now() then b.reserved_spending else b.current_monthly_spending end as spent,
            case when b.period_end <= now()
                 then app_private.add_local_months(b.period_end, app_private.local_months_to_advance(b.period_end, now(), b.time_zone), b.time_zone)
                 else b.period_end end as resets_at) m,
    (select count(*)::integer as live_holds, min(r.hold_expires_at) as next_expiry
       from app_public.requests r
      where r.user_id = b.user_id and r.status in ('pending', 'approved', 'executing')
        and b.id = any (r.reserved_budget_ids)) h;
$$;
comment on function app_public.budgets_budget_status(app_public.budgets) is
  'Budget.budgetStatus: remaining daily and monthly amounts and percentage used, as of now (a period that ended counts as already reset), the live holds on the budget and its next reset.';
revoke all on function app_public.budgets_budget_status(app_public.budgets) from public;
grant execute on function app_public.budgets_budget_status(app_public.budgets) to spendgate_user, spendgate_operator, spendgate_admin;
