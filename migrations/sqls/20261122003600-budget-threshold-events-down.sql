drop trigger _900_threshold_events on app_public.budgets;
drop function app_private.tg_budgets__threshold_events();
