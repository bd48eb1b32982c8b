-- after: 20261130020400-budget-time-zones
-- Why: an agent that crashes, times out or loses its connection after submitRequest never
-- settles, and its reservation would hold the budget forever (false "over budget" rejections).
-- expire_holds releases every hold past its hold_expires_at in a few set-based statements; the
-- worker task expire_holds (src/tasks/expire_holds.ts) runs it every minute with the cron run's
-- timestamp. The requests become cancelled with reason hold_expired (a documented contract: the
-- alerts read it); a late completeRequest still charges them (sql/6120-request-lifecycle.sql).
--
-- IDEMPOTENT: only outstanding requests (pending, approved, executing) past their expiry are
-- touched, and they leave that state; a second run, or one with an earlier timestamp, changes
-- nothing. CONCURRENCY: the requests are locked with SKIP LOCKED (a request being settled right
-- now is left to its settlement, and to the next run if it stays outstanding), then their owners
-- in user_id order, then their budgets in id order: the order of every spend operation
-- (requests, users, budgets), so no lock cycle is possible.
--
-- spend_consistency() proves the ledger (migration 20261122003000) from the rows behind it:
-- budgets and balances equal settled costs plus live holds.

create or replace function app_private.expire_holds(now timestamptz default now()) returns integer
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_ids uuid[];
  v_budget_ids uuid[];
begin
  select array_agg(e.request_id order by e.request_id) into v_ids
    from (select r.request_id from app_public.requests r
           where r.status in ('pending', 'approved', 'executing') and r.hold_expires_at <= expire_holds.now
           order by r.request_id
           for no key update skip locked) e;
  if v_ids is null then
    return 0;
  end if;

  perform from app_public.users u
   where u.user_id in (select r.user_id from app_public.requests r where r.request_id = any (v_ids))
   order by u.user_id
   for no key update;
  select coalesce(array_agg(distinct b.id order by b.id), '{}') into v_budget_ids
    from (select b.id from app_public.budgets b
           where b.id in (select unnest(r.reserved_budget_ids) from app_public.requests r where r.request_id = any (v_ids))
           order by b.id
           for no key update) b;
  perform app_private.roll_over_budgets(v_budget_ids, expire_holds.now);

  update app_public.budgets b set
    current_daily_spending = greatest(b.current_daily_spending - h.held, 0),
    current_monthly_spending = greatest(b.current_monthly_spending - h.held, 0),
    reserved_spending = greatest(b.reserved_spending - h.held, 0)
  from (select held.budget_id, sum(r.reserved_cost) as held
          from app_public.requests r cross join unnest(r.reserved_budget_ids) held(budget_id)
         where r.request_id = any (v_ids)
         group by held.budget_id) h
  where b.id = h.budget_id;
  update app_public.users u set reserved_balance = greatest(u.reserved_balance - h.held, 0)
  from (select r.user_id, sum(r.reserved_cost) as held from app_public.requests r
         where r.request_id = any (v_ids) group by r.user_id) h
  where u.user_id = h.user_id;
  update app_public.requests r set status = 'cancelled', reason = 'hold_expired', finished_at = expire_holds.now
   where r.request_id = any (v_ids);
  return cardinality(v_ids);
end;
$$;
comment on function app_private.expire_holds(timestamptz) is
  'Worker task expire_holds: releases the reservation of every outstanding request (pending, approved, executing) whose hold_expires_at <= `now`, set-based, and marks those requests cancelled with reason hold_expired. Idempotent; returns the number of holds released.';
revoke all on function app_private.expire_holds(timestamptz) from public;

create or replace function app_private.spend_consistency(now timestamptz default now())
  returns table (subject text, subject_id uuid, field text, expected numeric, actual numeric)
  language sql stable
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  with live_holds as (
    select r.user_id, r.reserved_budget_ids, r.reserved_cost from app_public.requests r
     where r.status in ('pending', 'approved', 'executing')
  ), settled as (
    select r.user_id, r.reserved_budget_ids, r.actual_cost, r.uncovered_cost, r.finished_at from app_public.requests r
     where r.status = 'executed'
  ), budget_now as (
    -- Each live budget as of `now`, with a day or period that ended counted as restarted (as
    -- reset_budgets would leave it).
    select b.id, b.current_daily_spending, b.current_monthly_spending, b.reserved_spending,
           case when app_private.local_day_end(b.daily_period_start, b.time_zone) <= spend_consistency.now
                then app_private.local_day_start(spend_consistency.now, b.time_zone) else b.daily_period_start end as day_start,
           app_private.local_day_end(b.daily_period_start, b.time_zone) <= spend_consistency.now as day_ended,
           b.period_start, b.period_end <= spend_consistency.now as period_ended
      from app_public.budgets b where b.deleted_at is null
  ), budget_expected as (
    select b.*,
           coalesce((select sum(h.reserved_cost) from live_holds h where b.id = any (h.reserved_budget_ids)), 0) as holds,
           coalesce((select sum(s.actual_cost) from settled s
                      where b.id = any (s.reserved_budget_ids) and s.finished_at >= b.day_start), 0) as settled_today,
           coalesce((select sum(s.actual_cost) from settled s
                      where b.id = any (s.reserved_budget_ids) and s.finished_at >= b.period_start), 0) as settled_in_period
      from budget_now b
  ), user_expected as (
    select u.user_id, u.reserved_balance, u.available_balance,
           coalesce((select sum(h.reserved_cost) from live_holds h where h.user_id = u.user_id), 0) as holds,
           coalesce((select sum(p.credited_amount) from app_public.payments p where p.user_id = u.user_id), 0)
             - coalesce((select sum(s.actual_cost - s.uncovered_cost) from settled s where s.user_id = u.user_id), 0) as balance
      from app_public.users u
  )
  select c.* from (
    select 'budget', b.id, 'reserved_spending', b.holds, b.reserved_spending from budget_expected b
    union all
    select 'budget', b.id, 'current_daily_spending', b.holds + case when b.day_ended then 0 else b.settled_today end,
           case when b.day_ended then b.reserved_spending else b.current_daily_spending end from budget_expected b
    union all
    select 'budget', b.id, 'current_monthly_spending', b.holds + case when b.period_ended then 0 else b.settled_in_period end,
           case when b.period_ended then b.reserved_spending else b.current_monthly_spending end from budget_expected b
    union all
    select 'user', u.user_id, 'reserved_balance', u.holds, u.reserved_balance from user_expected u
    union all
    select 'user', u.user_id, 'available_balance', u.balance, u.available_balance from user_expected u
  ) c(subject, subject_id, field, expected, actual)
  where c.expected is distinct from c.actual
  order by 1, 2, 3;
$$;
comment on function app_private.spend_consistency(timestamptz) is
  'The spend ledger checked against the rows behind it, as of `now`: returns one row per counter that differs from what the requests and payments say (no rows = consistent). Budgets: reserved_spending = live holds (outstanding requests holding the budget); current_daily_spending / current_monthly_spending = live holds + actual costs settled in the current day / period. Users: reserved_balance = live holds; available_balance = completed payments - settled costs (less the part the balance could not cover).';
revoke all on function app_private.spend_consistency(timestamptz) from public;
