drop type app_public.budget_status;
