-- Why: seed 000's requests: every call an agent asks the gateway to make to a model provider,
-- with its estimated and actual cost and the decision taken. Written only by the gateway's
-- operations (submitRequest, completeRequest), so the API offers no generic create; users read
-- their own, operators read all and decide on pending ones. ON DELETE RESTRICT (seed 001): the
-- spending history outlives hard deletes of users and projects.

create table app_public.requests (
  request_id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (user_id) on delete restrict,
  project_id uuid references app_public.projects (project_id) on delete restrict,
  agent_id text,
  api_provider text,
  model_name text,
  endpoint text,
  parameters jsonb not null default '{}' check (jsonb_typeof(parameters) = 'object'),
  status app_public.requeststatus not null default 'pending',
  estimated_cost numeric(20,8) not null check (estimated_cost >= 0),
  actual_cost numeric(20,8) check (actual_cost >= 0),
  reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
-- Foreign keys, plus the columns the API groups and orders by (aggregates).
create index idx_requests_user_id on app_public.requests (user_id);
create index idx_requests_project_id on app_public.requests (project_id);
create index idx_requests_api_provider on app_public.requests (api_provider);
create index idx_requests_model_name on app_public.requests (model_name);
create index idx_requests_status on app_public.requests (status);
create index idx_requests_created_at on app_public.requests (created_at);

comment on table app_public.requests is E'@behavior -insert\nA call an agent asked the gateway to make to a model provider, checked against the user''s policy and budget. Created by submitRequest.';
comment on column app_public.requests.request_id is 'Unique identifier of the request.';
comment on column app_public.requests.user_id is 'The user the agent acts for.';
comment on column app_public.requests.project_id is 'The project the request is made for, if any.';
comment on column app_public.requests.agent_id is 'Identifier of the agent making the request, as the agent reports it.';
comment on column app_public.requests.api_provider is 'The model provider to call (e.g. anthropic, openai).';
comment on column app_public.requests.model_name is 'The model to call.';
comment on column app_public.requests.endpoint is 'The provider endpoint or operation to call.';
comment on column app_public.requests.parameters is 'Parameters of the call, as a JSON object.';
comment on column app_public.requests.status is 'Where the request is in its life cycle (pending, approved, rejected, executed, ...).';
comment on column app_public.requests.estimated_cost is 'Cost estimated before the call; reserved against the budget when approved.';
comment on column app_public.requests.actual_cost is 'Cost actually incurred, once completed; null before.';
comment on column app_public.requests.reason is 'Machine-readable reason when the request was not approved (e.g. budget_exceeded); null otherwise.';
comment on column app_public.requests.created_at is 'When the request was submitted.';
comment on column app_public.requests.updated_at is 'When the request was last changed.';
comment on column app_public.requests.deleted_at is 'When the request was soft-deleted by an admin; null otherwise.';

alter table app_public.requests enable row level security;
create policy hide_deleted on app_public.requests as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.requests for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.requests for select to spendgate_operator
  using (true);
create policy operator_decide on app_public.requests for update to spendgate_operator
  using (true) with check (true);
create policy admin_all on app_public.requests for all to spendgate_admin
  using (true) with check (true);

grant select (request_id, user_id, project_id, agent_id, api_provider, model_name, endpoint,
  parameters, status, estimated_cost, actual_cost, reason, created_at, updated_at, deleted_at)
  on app_public.requests to spendgate_user;
grant update (status, reason) on app_public.requests to spendgate_operator;
grant update (actual_cost, deleted_at) on app_public.requests to spendgate_admin;
