-- Why: spend grouped by provider and day over requests grows with the table (p50 1.08 s, p99 1.9 s
-- for an operator over 2,000,000 requests, issue 15 part 7). Two daily rollups of settled spend,
-- kept by a trigger on requests in the same transaction as each settlement (sql/6700), answer
-- the same questions from a few rows per day:
-- * daily_spend           per UTC day of created_at, user, project, agent, provider and model:
--                         what users read about their own spend, operators about anyone's.
-- * platform_daily_spend  per UTC day, provider and model (and shard): operator-wide totals.
--                         Its size does not grow with the number of users. `shard` (a byte of
--                         the user id, 0-15) spreads concurrent settlements of different users
--                         over 16 rows, so they do not all wait on one hot counter row; readers
--                         sum the shards (the API does not show the column).
-- Both count only requests whose actual cost is recorded and that are not soft-deleted, which is
-- what an operator sees when summing requests.actual_cost. A rollup row that falls back to zero
-- requests is deleted. The data is derived: written only by the trigger's functions, never by
-- an API role; app_public.spend_rollup_discrepancies() proves both exact against requests.
-- Policies and grants come in 20261130080100, once the rollups are filled: no client ever reads
-- a half-built rollup.

create table app_public.daily_spend (
  daily_spend_id uuid primary key default gen_random_uuid(),
  day date not null,
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  project_id uuid references app_public.projects (project_id) on delete cascade,
  agent_id text,
  api_provider text,
  model_name text,
  settled_requests bigint not null default 0 check (settled_requests >= 0),
  actual_cost numeric(20,8) not null default 0 check (actual_cost >= 0),
  settled_cost numeric(20,8) not null default 0 check (settled_cost >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
-- The rollup key; it starts with user_id (the foreign key, and every user's own queries) and
-- day (a user's last 30 days). NULLS NOT DISTINCT: a request without project or agent has one row.
create unique index idx_daily_spend_user_id_day_key on app_public.daily_spend
  (user_id, day, project_id, agent_id, api_provider, model_name) nulls not distinct;
create index idx_daily_spend_project_id on app_public.daily_spend (project_id);
create index idx_daily_spend_day on app_public.daily_spend (day);

comment on table app_public.daily_spend is E'@behavior -insert -update -delete\nSettled spend per UTC day, user, project, agent, provider and model, kept up to date by every settlement. Sum it instead of requests for spend over long periods: users see their own rows, operators everyone''s.';
comment on column app_public.daily_spend.daily_spend_id is 'Unique identifier of the rollup row.';
comment on column app_public.daily_spend.day is 'The UTC day the requests were submitted on (their created_at).';
comment on column app_public.daily_spend.user_id is 'The user the requests were made for.';
comment on column app_public.daily_spend.project_id is 'The project of the requests; null for requests without a project.';
comment on column app_public.daily_spend.agent_id is E'@behavior +orderBy +filterBy +attribute:groupBy\nThe agent that made the requests, as it reported itself; null when it did not.';
comment on column app_public.daily_spend.api_provider is E'@behavior +orderBy +filterBy +attribute:groupBy\nThe model provider the requests called.';
comment on column app_public.daily_spend.model_name is E'@behavior +orderBy +filterBy +attribute:groupBy\nThe model the requests called.';
comment on column app_public.daily_spend.settled_requests is 'How many of these requests have an actual cost recorded (executed ones, and any other whose cost was recorded).';
comment on column app_public.daily_spend.actual_cost is 'Sum of the actual cost of these requests (requests.actual_cost).';
comment on column app_public.daily_spend.settled_cost is 'Sum of what executed requests cost (requests.settled_cost): "spent".';
comment on column app_public.daily_spend.created_at is 'When the first settled request of this day and key was counted.';
comment on column app_public.daily_spend.updated_at is 'When a settlement last changed this row.';
comment on column app_public.daily_spend.deleted_at is 'Always null: rollup rows are deleted, not soft-deleted, when nothing is left to count.';

alter table app_public.daily_spend enable row level security;

create table app_public.platform_daily_spend (
  platform_daily_spend_id uuid primary key default gen_random_uuid(),
  day date not null,
  api_provider text,
  model_name text,
  shard smallint not null check (shard between 0 and 15),
  settled_requests bigint not null default 0 check (settled_requests >= 0),
  actual_cost numeric(20,8) not null default 0 check (actual_cost >= 0),
  settled_cost numeric(20,8) not null default 0 check (settled_cost >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create unique index idx_platform_daily_spend_day_key on app_public.platform_daily_spend
  (day, api_provider, model_name, shard) nulls not distinct;

comment on table app_public.platform_daily_spend is E'@behavior -insert -update -delete\nOperators: settled spend of the whole platform per UTC day, provider and model, kept up to date by every settlement. Group it by day and provider for platform-wide spend at interactive speed, however many requests there are.';
comment on column app_public.platform_daily_spend.platform_daily_spend_id is 'Unique identifier of the rollup row.';
comment on column app_public.platform_daily_spend.day is 'The UTC day the requests were submitted on (their created_at).';
comment on column app_public.platform_daily_spend.api_provider is E'@behavior +orderBy +filterBy +attribute:groupBy\nThe model provider the requests called.';
comment on column app_public.platform_daily_spend.model_name is E'@behavior +orderBy +filterBy +attribute:groupBy\nThe model the requests called.';
comment on column app_public.platform_daily_spend.shard is E'@behavior -select -orderBy -filterBy -attribute:groupBy -aggregate -havingBy\nInternal: which of 16 rows of the same day, provider and model holds these requests (from the user id), so that concurrent settlements rarely wait on each other. Not in the API; sum over it.';
comment on column app_public.platform_daily_spend.settled_requests is 'How many of these requests have an actual cost recorded.';
comment on column app_public.platform_daily_spend.actual_cost is 'Sum of the actual cost of these requests (requests.actual_cost).';
comment on column app_public.platform_daily_spend.settled_cost is 'Sum of what executed requests cost (requests.settled_cost): "spent".';
comment on column app_public.platform_daily_spend.created_at is 'When the first settled request of this row was counted.';
comment on column app_public.platform_daily_spend.updated_at is 'When a settlement last changed this row.';
comment on column app_public.platform_daily_spend.deleted_at is 'Always null: rollup rows are deleted, not soft-deleted, when nothing is left to count.';

alter table app_public.platform_daily_spend enable row level security;
