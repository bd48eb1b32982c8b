-- Why: an agent's API key needs a budget of its own: one runaway agent must not use up the
-- whole project. A budget may now apply to one API key (api_key_id); submitRequest checks it
-- together with the project's and the user-wide budgets in the same atomic step, and the lowest
-- remaining limit wins (sql/6110-submit-request.sql). The key must be the budget owner's own
-- (trigger _310_api_key_owner, sql/6160-budgets-per-api-key.sql). One live budget per user,
-- project and key.

alter table app_public.budgets
  add column api_key_id bigint references app_public.api_keys (id) on delete cascade;
create index idx_budgets_api_key_id on app_public.budgets (api_key_id);
drop index app_public.idx_budgets_user_id_project_id;
create unique index idx_budgets_user_id_project_id_api_key_id on app_public.budgets (user_id, project_id, api_key_id)
  nulls not distinct where deleted_at is null;
comment on column app_public.budgets.api_key_id is
  'The API key (an agent''s key) the budget applies to: only requests sent with that key count against it. Null: every key and token of the user.';
grant select (api_key_id), insert (api_key_id), update (api_key_id) on app_public.budgets to spendgate_user;
