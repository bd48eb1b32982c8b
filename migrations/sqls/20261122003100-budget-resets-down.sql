drop function app_private.roll_over_budgets(uuid[], timestamptz);
drop function app_private.reset_budgets(timestamptz);
drop function app_private.months_to_advance(timestamptz, timestamptz);
drop function app_private.add_months_utc(timestamptz, integer);
drop function app_private.utc_day_start(timestamptz);
