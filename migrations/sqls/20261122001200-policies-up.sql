-- Why: seed 000's policies: what a user's agents may call, for one project or (project_id null)
-- for all of the user's projects. Users write their own policies; the gateway's submitRequest
-- checks requests against them.

create table app_public.policies (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default app_public.current_user_id()
    references app_public.users (user_id) on delete cascade,
  project_id uuid references app_public.projects (project_id) on delete cascade,
  allowed_providers jsonb not null default '[]' check (jsonb_typeof(allowed_providers) = 'array'),
  allowed_models jsonb not null default '[]' check (jsonb_typeof(allowed_models) = 'array'),
  rate_limits jsonb not null default '{}' check (jsonb_typeof(rate_limits) = 'object'),
  forbidden_operations jsonb not null default '[]' check (jsonb_typeof(forbidden_operations) = 'array'),
  require_approval_above numeric(20,8) check (require_approval_above >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index idx_policies_user_id on app_public.policies (user_id);
create index idx_policies_project_id on app_public.policies (project_id);
-- One live policy per user and project; a null project (all projects) counts as one value.
create unique index idx_policies_user_id_project_id on app_public.policies (user_id, project_id)
  nulls not distinct where deleted_at is null;

comment on table app_public.policies is 'Rules for what a user''s agents may call, for one project or for all of the user''s projects.';
comment on column app_public.policies.id is 'Unique identifier of the policy.';
comment on column app_public.policies.user_id is 'The user the policy applies to (defaults to the current user).';
comment on column app_public.policies.project_id is 'The project the policy applies to; null means all of the user''s projects.';
comment on column app_public.policies.allowed_providers is 'JSON array of provider names requests may use; an empty array allows every provider.';
comment on column app_public.policies.allowed_models is 'JSON array of model names requests may use; an empty array allows every model.';
comment on column app_public.policies.rate_limits is 'JSON object of rate limits, e.g. {"per_minute": 60}.';
comment on column app_public.policies.forbidden_operations is 'JSON array of endpoints or operations requests must not call.';
comment on column app_public.policies.require_approval_above is 'Requests with an estimated cost above this wait for an operator''s approval; null means never.';
comment on column app_public.policies.created_at is 'When the policy was created.';
comment on column app_public.policies.updated_at is 'When the policy was last changed.';
comment on column app_public.policies.deleted_at is 'When the policy was soft-deleted; null while it applies.';

alter table app_public.policies enable row level security;
create policy hide_deleted on app_public.policies as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.policies for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy insert_own on app_public.policies for insert to spendgate_user
  with check (user_id = (select app_public.current_user_id()));
create policy update_own on app_public.policies for update to spendgate_user
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.policies for select to spendgate_operator
  using (true);
create policy admin_all on app_public.policies for all to spendgate_admin
  using (true) with check (true);

grant select (id, user_id, project_id, allowed_providers, allowed_models, rate_limits,
  forbidden_operations, require_approval_above, created_at, updated_at, deleted_at)
  on app_public.policies to spendgate_user;
grant insert (project_id, allowed_providers, allowed_models, rate_limits, forbidden_operations,
  require_approval_above) on app_public.policies to spendgate_user;
grant update (project_id, allowed_providers, allowed_models, rate_limits, forbidden_operations,
  require_approval_above, deleted_at) on app_public.policies to spendgate_user;
grant insert (user_id) on app_public.policies to spendgate_admin;
