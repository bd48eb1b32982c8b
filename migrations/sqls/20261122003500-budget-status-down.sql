revoke execute on function app_private.utc_day_start(timestamptz), app_private.add_months_utc(timestamptz, integer),
  app_private.months_to_advance(timestamptz, timestamptz) from spendgate_user, spendgate_operator, spendgate_admin;
drop function app_public.budgets_budget_status(app_public.budgets);
drop function app_private.percent_used(numeric, numeric);
drop type app_public.budget_status;
