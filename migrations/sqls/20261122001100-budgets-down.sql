drop table app_public.budgets;
drop function app_private.tg_budgets__period_end();
