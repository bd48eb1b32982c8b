alter table app_public.budgets drop column time_zone;
