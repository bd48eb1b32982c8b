-- after: 20261130020400-budget-time-zones
-- Why: a budget's time zone must be a real IANA name (PostgreSQL's own list: an unknown name is
-- refused with its 22023 "time zone ... not recognized"), and a budget created in, or moved to,
-- a time zone starts its current day at the local midnight. A new budget whose monthly period
-- was left to the default (the current UTC month) gets the current local month instead.

create or replace function app_private.tg_budgets__time_zone() returns trigger
  language plpgsql volatile
as $$
begin
  perform now() at time zone new.time_zone;
  if (tg_op = 'INSERT' and new.time_zone <> 'UTC') or (tg_op = 'UPDATE' and new.time_zone is distinct from old.time_zone) then
    new.daily_period_start := app_private.local_day_start(now(), new.time_zone);
  end if;
  if tg_op = 'INSERT' and new.time_zone <> 'UTC'
     and new.period_start = date_trunc('month', now() at time zone 'utc') at time zone 'utc' then
    new.period_start := date_trunc('month', now() at time zone new.time_zone) at time zone new.time_zone;
    new.period_end := app_private.add_local_months(new.period_start, 1, new.time_zone);
  end if;
  return new;
end;
$$;
comment on function app_private.tg_budgets__time_zone() is
  'Trigger (before insert or update of time_zone on budgets): checks the IANA name (22023), starts the current day at local midnight, and puts a new budget''s default monthly period on the local calendar month.';
revoke all on function app_private.tg_budgets__time_zone() from public;

create or replace trigger _320_time_zone before insert or update of time_zone on app_public.budgets
  for each row execute function app_private.tg_budgets__time_zone();
