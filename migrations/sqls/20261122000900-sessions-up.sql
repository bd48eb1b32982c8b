-- Why: seed 003's sessions hold refresh tokens (seed 004's legacy sessions are imported here).
-- Only the SHA-256 (hex) of a refresh token is stored, in refresh_token, readable by no API role.
-- Rotation: every refresh creates a new session in the same family_id and points the old one at
-- it with replaced_by; reusing a replaced token lets the gateway revoke the whole family.

create table app_public.sessions (
  session_id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  refresh_token text not null check (refresh_token ~ '^[0-9a-f]{64}$'),
  family_id uuid not null default gen_random_uuid(),
  replaced_by uuid references app_public.sessions (session_id) on delete set null,
  revoked_at timestamptz,
  expires_at timestamptz not null,
  last_used_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
-- Seed 003's indexes. Token hashes are unique over all sessions ever issued.
create index idx_sessions_user_id on app_public.sessions (user_id);
create unique index idx_sessions_refresh_token on app_public.sessions (refresh_token);
create index idx_sessions_expires_at on app_public.sessions (expires_at);
create index idx_sessions_family_id on app_public.sessions (family_id);
create index idx_sessions_replaced_by on app_public.sessions (replaced_by);

comment on table app_public.sessions is E'@behavior -insert\nA login session of a user, identified by its refresh token. Created by login and refreshSession, ended by logout.';
comment on column app_public.sessions.session_id is 'Unique identifier of the session.';
comment on column app_public.sessions.user_id is 'The user who logged in.';
comment on column app_public.sessions.refresh_token is E'@behavior -select -insert -update -filterBy -orderBy\nSHA-256 (hex) of the refresh token, never the token itself. Never readable through the API.';
comment on column app_public.sessions.family_id is 'Rotation family: all sessions obtained from one login by successive refreshes share it.';
comment on column app_public.sessions.replaced_by is 'The session that replaced this one when its refresh token was used; null while current.';
comment on column app_public.sessions.revoked_at is 'When the session was revoked (logout, reuse detected, user deleted); null while valid.';
comment on column app_public.sessions.expires_at is 'When the refresh token stops working.';
comment on column app_public.sessions.last_used_at is 'When the refresh token was last used.';
comment on column app_public.sessions.created_at is 'When the session was created.';
comment on column app_public.sessions.updated_at is 'When the session was last changed.';
comment on column app_public.sessions.deleted_at is 'When the session was soft-deleted (which also revokes it); null otherwise.';

alter table app_public.sessions enable row level security;
create policy hide_deleted on app_public.sessions as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.sessions for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy update_own on app_public.sessions for update to spendgate_user
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.sessions for select to spendgate_operator
  using (true);
create policy admin_all on app_public.sessions for all to spendgate_admin
  using (true) with check (true);

grant select (session_id, user_id, family_id, replaced_by, revoked_at, expires_at, last_used_at,
  created_at, updated_at, deleted_at) on app_public.sessions to spendgate_user;
grant update (deleted_at) on app_public.sessions to spendgate_user;
grant update (revoked_at, expires_at) on app_public.sessions to spendgate_admin;
