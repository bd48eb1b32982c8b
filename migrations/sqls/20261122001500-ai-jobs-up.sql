-- Why: seed 004's AI jobs (legacy records are imported here), typed with seed 002's PasteTrader
-- enums. Written by the gateway and the importer; users read their own, operators read all.

create table app_public.ai_jobs (
  job_id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  project_id uuid references app_public.projects (project_id) on delete cascade,
  provider app_public.model_provider not null,
  model_name text,
  status app_public.execution_status not null default 'pending',
  node_type app_public.node_type,
  tool_type app_public.tool_type,
  trigger_type app_public.trigger_type not null default 'manual',
  auth_mode app_public.auth_mode,
  input jsonb not null default '{}',
  output jsonb,
  error text,
  cost numeric(20,8) check (cost >= 0),
  started_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  constraint ai_jobs_completed_after_started check (completed_at >= started_at)
);
create index idx_ai_jobs_user_id on app_public.ai_jobs (user_id);
create index idx_ai_jobs_project_id on app_public.ai_jobs (project_id);
create index idx_ai_jobs_status on app_public.ai_jobs (status);
create index idx_ai_jobs_created_at on app_public.ai_jobs (created_at);

comment on table app_public.ai_jobs is 'A unit of AI work run for a user (a workflow node calling a model provider), with its input, output and cost.';
comment on column app_public.ai_jobs.job_id is 'Unique identifier of the job.';
comment on column app_public.ai_jobs.user_id is 'The user the job ran for.';
comment on column app_public.ai_jobs.project_id is 'The project the job belongs to, if any.';
comment on column app_public.ai_jobs.provider is 'The LLM provider the job runs on.';
comment on column app_public.ai_jobs.model_name is 'The model the job uses.';
comment on column app_public.ai_jobs.status is 'Execution state of the job.';
comment on column app_public.ai_jobs.node_type is 'Kind of workflow node that produced the job, if known.';
comment on column app_public.ai_jobs.tool_type is 'Tool mechanism, for tool nodes.';
comment on column app_public.ai_jobs.trigger_type is 'What started the job (schedule, event or manual).';
comment on column app_public.ai_jobs.auth_mode is 'How the job authenticated against its provider, if known.';
comment on column app_public.ai_jobs.input is 'Input of the job (prompt, arguments) as JSON.';
comment on column app_public.ai_jobs.output is 'Output of the job as JSON; null until it completes.';
comment on column app_public.ai_jobs.error is 'Error message when the job failed.';
comment on column app_public.ai_jobs.cost is 'What the job cost; null if unknown.';
comment on column app_public.ai_jobs.started_at is 'When the job started running.';
comment on column app_public.ai_jobs.completed_at is 'When the job finished (completed, failed or cancelled).';
comment on column app_public.ai_jobs.created_at is 'When the job was created.';
comment on column app_public.ai_jobs.updated_at is 'When the job was last changed.';
comment on column app_public.ai_jobs.deleted_at is 'When the job was soft-deleted by an admin; null otherwise.';

alter table app_public.ai_jobs enable row level security;
create policy hide_deleted on app_public.ai_jobs as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.ai_jobs for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.ai_jobs for select to spendgate_operator
  using (true);
create policy admin_all on app_public.ai_jobs for all to spendgate_admin
  using (true) with check (true);

grant select (job_id, user_id, project_id, provider, model_name, status, node_type, tool_type,
  trigger_type, auth_mode, input, output, error, cost, started_at, completed_at,
  created_at, updated_at, deleted_at) on app_public.ai_jobs to spendgate_user;
grant insert (user_id, project_id, provider, model_name, status, node_type, tool_type, trigger_type,
  auth_mode, input, output, error, cost, started_at, completed_at) on app_public.ai_jobs to spendgate_admin;
grant update (project_id, provider, model_name, status, node_type, tool_type, trigger_type,
  auth_mode, input, output, error, cost, started_at, completed_at, deleted_at) on app_public.ai_jobs to spendgate_admin;
