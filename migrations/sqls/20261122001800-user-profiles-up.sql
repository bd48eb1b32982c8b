-- Why: seed 003's user profiles: the persona SpendSense currently assigns to a user and the
-- behavioural signals behind it. One profile per user. Written by the analysis pipeline (admin
-- or the gateway's functions); users read their own.

create table app_public.user_profiles (
  profile_id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  persona_id integer not null check (persona_id between 1 and 5),
  persona_name text,
  signals_30d jsonb not null default '{}',
  signals_180d jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  -- Seed 003: unique index on user_id (a constraint, so the API offers userProfileByUserId).
  constraint idx_user_profiles_user_id unique (user_id)
);
create index idx_user_profiles_persona_id on app_public.user_profiles (persona_id);

comment on table app_public.user_profiles is 'The persona currently assigned to a user and the behavioural signals behind it; one per user.';
comment on column app_public.user_profiles.profile_id is 'Unique identifier of the profile.';
comment on column app_public.user_profiles.user_id is 'The user described; each user has at most one profile.';
comment on column app_public.user_profiles.persona_id is 'Persona assigned to the user, 1 to 5.';
comment on column app_public.user_profiles.persona_name is 'Name of the persona.';
comment on column app_public.user_profiles.signals_30d is 'Behavioural signals over the last 30 days, as JSON.';
comment on column app_public.user_profiles.signals_180d is 'Behavioural signals over the last 180 days, as JSON.';
comment on column app_public.user_profiles.created_at is 'When the profile was created.';
comment on column app_public.user_profiles.updated_at is 'When the profile was last changed.';
comment on column app_public.user_profiles.deleted_at is 'When the profile was soft-deleted by an admin; null otherwise.';

alter table app_public.user_profiles enable row level security;
create policy hide_deleted on app_public.user_profiles as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.user_profiles for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.user_profiles for select to spendgate_operator
  using (true);
create policy admin_all on app_public.user_profiles for all to spendgate_admin
  using (true) with check (true);

grant select (profile_id, user_id, persona_id, persona_name, signals_30d, signals_180d,
  created_at, updated_at, deleted_at) on app_public.user_profiles to spendgate_user;
grant insert (user_id, persona_id, persona_name, signals_30d, signals_180d) on app_public.user_profiles to spendgate_admin;
grant update (persona_id, persona_name, signals_30d, signals_180d, deleted_at) on app_public.user_profiles to spendgate_admin;
