drop table app_public.budgets;
