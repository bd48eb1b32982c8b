-- after: 20261130020400-budget-time-zones
-- Why: daily and monthly spending counters must start again when their period ends (in the
-- budget's time zone, UTC by default: budgets.time_zone; helpers in sql/3100-budget-resets.sql), even
-- when no worker ran for a while, without ever resetting twice and without losing a reservation
-- made at the same moment. The worker task `reset_budgets` (src/tasks/reset_budgets.ts, hourly
-- crontab with backfill) calls app_private.reset_budgets(<cron timestamp>); submit_request and
-- the lifecycle functions call app_private.roll_over_budgets() on the budgets they have locked,
-- so that a request arriving after midnight but before the job ran sees the new day.
--
-- WHAT A RESET DOES (see the ledger in 20261122003000)
-- * Daily: when the local day starting at daily_period_start has ended by t (the next midnight in
--   the budget's time zone), current_daily_spending := reserved_spending and daily_period_start :=
--   the local midnight starting the day of t (several missed days are caught up in one step:
--   there is nothing to carry from a day nobody spent in).
-- * Monthly: when period_end <= t, current_monthly_spending := reserved_spending, and period_start
--   and period_end move forward by the smallest whole number of months that puts period_end after
--   t (computed, not looped: a budget idle for a year is caught up by one update). Months are
--   added in the budget's time zone to the original boundaries, so a period anchored on the 31st
--   stays anchored on it.
-- * Reserved-but-unsettled requests (pending, approved, executing) keep their reservation: it is
--   carried into the new period, and their actual cost, when settled, counts in the period it is
--   settled in. Resetting to 0 instead would let the outstanding requests' costs escape every
--   limit, and settling them would then take money off a period that never held it.
--
-- IDEMPOTENT: the WHERE clauses select only budgets whose period has ended as of t, and a reset
-- moves the period past t, so a second run with the same or an earlier t changes nothing; a
-- backfilled run (older t) never undoes a newer one.
--
-- CONCURRENCY: reset_budgets locks the due rows in id order before updating them. submit_request
-- and the lifecycle functions also lock budgets in id order (after the user's row, which reset
-- never locks), so the two cannot deadlock. A reservation is either committed before the reset
-- locks the row (then the reset reads the new reserved_spending, in READ COMMITTED the UPDATE
-- re-evaluates the row's latest version, and carries it) or made after the reset committed (then
-- it lands in the new period). It is never lost either way.

create or replace function app_private.reset_budgets(now timestamptz default now()) returns integer
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_count integer;
begin
  with due as (
    select b.id from app_public.budgets b
     where b.deleted_at is null
       and (app_private.local_day_end(b.daily_period_start, b.time_zone) <= reset_budgets.now or b.period_end <= reset_budgets.now)
     order by b.id
     for no key update
  )
  update app_public.budgets b set
    current_daily_spending = case when app_private.local_day_end(b.daily_period_start, b.time_zone) <= reset_budgets.now
                                  then b.reserved_spending else b.current_daily_spending end,
    daily_period_start = case when app_private.local_day_end(b.daily_period_start, b.time_zone) <= reset_budgets.now
                              then app_private.local_day_start(reset_budgets.now, b.time_zone) else b.daily_period_start end,
    current_monthly_spending = case when b.period_end <= reset_budgets.now
                                    then b.reserved_spending else b.current_monthly_spending end,
    period_start = case when b.period_end <= reset_budgets.now
                        then app_private.add_local_months(b.period_start, app_private.local_months_to_advance(b.period_end, reset_budgets.now, b.time_zone), b.time_zone)
                        else b.period_start end,
    period_end = case when b.period_end <= reset_budgets.now
                      then app_private.add_local_months(b.period_end, app_private.local_months_to_advance(b.period_end, reset_budgets.now, b.time_zone), b.time_zone)
                      else b.period_end end
  from due
  where b.id = due.id
    -- Re-checked on the row's latest version when a concurrent transaction changed it meanwhile.
    and (app_private.local_day_end(b.daily_period_start, b.time_zone) <= reset_budgets.now or b.period_end <= reset_budgets.now);
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function app_private.reset_budgets(timestamptz) is
  'Worker task reset_budgets: in one set-based UPDATE, starts a new day for every live budget whose local day (budgets.time_zone) ended by `now` and a new monthly period (moved by whole months, catching up missed ones) for every budget whose period_end <= `now`; counters restart from the outstanding reservations. Idempotent; returns the number of budgets changed.';
revoke all on function app_private.reset_budgets(timestamptz) from public;

-- The same rollover for a few budgets the caller has already locked (same expressions as above).
create or replace function app_private.roll_over_budgets(budget_ids uuid[], now timestamptz default now()) returns void
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  update app_public.budgets b set
    current_daily_spending = case when app_private.local_day_end(b.daily_period_start, b.time_zone) <= $2
                                  then b.reserved_spending else b.current_daily_spending end,
    daily_period_start = case when app_private.local_day_end(b.daily_period_start, b.time_zone) <= $2
                              then app_private.local_day_start($2, b.time_zone) else b.daily_period_start end,
    current_monthly_spending = case when b.period_end <= $2 then b.reserved_spending else b.current_monthly_spending end,
    period_start = case when b.period_end <= $2
                        then app_private.add_local_months(b.period_start, app_private.local_months_to_advance(b.period_end, $2, b.time_zone), b.time_zone)
                        else b.period_start end,
    period_end = case when b.period_end <= $2
                      then app_private.add_local_months(b.period_end, app_private.local_months_to_advance(b.period_end, $2, b.time_zone), b.time_zone)
                      else b.period_end end
  where b.id = any ($1)
    and (app_private.local_day_end(b.daily_period_start, b.time_zone) <= $2 or b.period_end <= $2);
$$;
comment on function app_private.roll_over_budgets(uuid[], timestamptz) is
  'Applies the reset_budgets rollover to the given budgets only (called by submit_request and the lifecycle functions on rows they hold locked), so a late worker never makes a request see a finished period.';
revoke all on function app_private.roll_over_budgets(uuid[], timestamptz) from public;

