drop index app_public.idx_budgets_user_id_project_id_api_key_id;
create unique index idx_budgets_user_id_project_id on app_public.budgets (user_id, project_id)
  nulls not distinct where deleted_at is null;
alter table app_public.budgets drop column api_key_id;
