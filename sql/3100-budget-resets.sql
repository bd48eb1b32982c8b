-- after: 20261122003100-budget-resets
-- Why: day and month boundaries of budget periods, in the budget's IANA time zone (budgets.time_zone,
-- UTC by default): the date arithmetic of reset_budgets and roll_over_budgets
-- (sql/6100-budget-resets.sql), of Budget.budgetStatus and of submitRequest's decisions. Local
-- calendar days and months, so that a day of a DST change lasts 23 or 25 hours and a period
-- anchored on the 31st stays anchored on it.

create or replace function app_private.local_day_start(t timestamptz, tz text) returns timestamptz
  language sql immutable
as $$
  select (date_trunc('day', t at time zone tz)) at time zone tz;
$$;
comment on function app_private.local_day_start(timestamptz, text) is 'Midnight in time zone tz starting the local day of t.';

create or replace function app_private.local_day_end(day_start timestamptz, tz text) returns timestamptz
  language sql immutable
as $$
  select ((day_start at time zone tz) + interval '1 day') at time zone tz;
$$;
comment on function app_private.local_day_end(timestamptz, text) is 'The next local midnight (time zone tz) after day_start: 23, 24 or 25 hours later.';

create or replace function app_private.add_local_months(t timestamptz, months integer, tz text) returns timestamptz
  language sql immutable
as $$
  select ((t at time zone tz) + months * interval '1 month') at time zone tz;
$$;
comment on function app_private.add_local_months(timestamptz, integer, text) is
  'Adds whole calendar months to t in time zone tz (day-of-month clamped at month ends, as PostgreSQL does).';

create or replace function app_private.local_months_to_advance(period_end timestamptz, t timestamptz, tz text) returns integer
  language sql immutable
as $$
  -- m = calendar months between period_end and t (local); the answer is m or m + 1, whichever is
  -- the smallest that puts period_end after t (at least 1, since period_end <= t).
  select case
    when app_private.add_local_months(period_end, m, tz) > t then m
    else m + 1
  end
  from (
    select ((extract(year from t at time zone tz) - extract(year from period_end at time zone tz)) * 12
          + (extract(month from t at time zone tz) - extract(month from period_end at time zone tz)))::integer as m
  ) months;
$$;
comment on function app_private.local_months_to_advance(timestamptz, timestamptz, text) is
  'For a monthly period that ended (period_end <= t): the number of whole months (in time zone tz) to move it forward so that it contains t.';

-- Budget.budgetStatus (sql/6140-budget-status.sql) computes with them as the API roles.
grant execute on function app_private.local_day_start(timestamptz, text), app_private.local_day_end(timestamptz, text),
  app_private.add_local_months(timestamptz, integer, text), app_private.local_months_to_advance(timestamptz, timestamptz, text)
  to spendgate_user, spendgate_operator, spendgate_admin;
