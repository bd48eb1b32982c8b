-- after: 20261122003500-budget-status
-- Why: Budget.budgetStatus (sql/6140-budget-status.sql) reports the share of each limit used;
-- this helper computes it.

create or replace function app_private.percent_used(spent numeric, lim numeric) returns numeric
  language sql immutable
as $$
  select case when lim is null then null when lim = 0 then 100 else round(100 * spent / lim, 2) end;
$$;
comment on function app_private.percent_used(numeric, numeric) is 'spent / lim in percent, 2 decimals; 100 for a zero limit, null without a limit.';
grant execute on function app_private.percent_used(numeric, numeric) to spendgate_user, spendgate_operator, spendgate_admin;

