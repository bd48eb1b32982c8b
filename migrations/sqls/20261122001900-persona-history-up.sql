-- Why: seed 003's persona history: every persona ever assigned to a user, with the signals at
-- that moment. Append-only in practice; users read their own, operators read all.

create table app_public.persona_history (
  history_id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  persona_id integer not null check (persona_id between 1 and 5),
  persona_name text,
  assigned_at timestamptz not null default now(),
  signals jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
-- Seed 003's indexes, composite included.
create index idx_persona_history_user_id on app_public.persona_history (user_id);
create index idx_persona_history_assigned_at on app_public.persona_history (assigned_at);
create index idx_persona_history_user_id_assigned_at on app_public.persona_history (user_id, assigned_at);

comment on table app_public.persona_history is 'Every persona assigned to a user over time, with the signals at that moment.';
comment on column app_public.persona_history.history_id is 'Unique identifier of the entry.';
comment on column app_public.persona_history.user_id is 'The user the persona was assigned to.';
comment on column app_public.persona_history.persona_id is 'Persona assigned, 1 to 5.';
comment on column app_public.persona_history.persona_name is 'Name of the persona.';
comment on column app_public.persona_history.assigned_at is 'When the persona was assigned.';
comment on column app_public.persona_history.signals is 'Behavioural signals that led to the assignment, as JSON.';
comment on column app_public.persona_history.created_at is 'When the entry was recorded.';
comment on column app_public.persona_history.updated_at is 'When the entry was last changed.';
comment on column app_public.persona_history.deleted_at is 'When the entry was soft-deleted by an admin; null otherwise.';

alter table app_public.persona_history enable row level security;
create policy hide_deleted on app_public.persona_history as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.persona_history for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.persona_history for select to spendgate_operator
  using (true);
create policy admin_all on app_public.persona_history for all to spendgate_admin
  using (true) with check (true);

grant select (history_id, user_id, persona_id, persona_name, assigned_at, signals,
  created_at, updated_at, deleted_at) on app_public.persona_history to spendgate_user;
grant insert (user_id, persona_id, persona_name, assigned_at, signals) on app_public.persona_history to spendgate_admin;
grant update (persona_id, persona_name, assigned_at, signals, deleted_at) on app_public.persona_history to spendgate_admin;
