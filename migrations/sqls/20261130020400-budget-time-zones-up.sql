-- Why: a team's daily budget should reset at the team's own midnight, not at UTC midnight. A
-- budget now has an IANA time zone (default UTC) for its daily and monthly periods; reset_budgets
-- and the rollover of submitRequest compute day and month boundaries in it (sql/6100-budget-resets.sql),
-- and the trigger _320_time_zone (sql/6170-budget-time-zones.sql) checks the name and starts the
-- budget's current day and month in that zone.

alter table app_public.budgets
  add column time_zone text not null default 'UTC' check (char_length(time_zone) between 1 and 64);
comment on column app_public.budgets.time_zone is
  'IANA time zone of the budget''s daily and monthly periods (e.g. Europe/Paris): the daily spending restarts at midnight there, the monthly period on the 1st there. Default UTC.';
grant select (time_zone), insert (time_zone), update (time_zone) on app_public.budgets to spendgate_user;
