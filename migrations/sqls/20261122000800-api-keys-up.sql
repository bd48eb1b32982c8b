-- Why: seed 000's API keys. The plain key is shown once by the dedicated createApiKey operation
-- and never stored: only its SHA-256 (hex) is, in key_hash, which no API role can read.
-- Users list, revoke and (soft-)delete their own keys; revocation is permanent.

create table app_public.api_keys (
  id bigint generated always as identity primary key,
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  name text not null check (name <> ''),
  key_hash text not null check (key_hash ~ '^[0-9a-f]{64}$'),
  key_prefix text,
  status app_public.apikeystatus not null default 'active',
  usage_count bigint not null default 0 check (usage_count >= 0),
  last_used_at timestamptz,
  revoked_at timestamptz,
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  constraint api_keys_revoked_at_matches_status check ((status = 'revoked') = (revoked_at is not null))
);
-- Seed 000's names. Key hashes are unique over all keys ever issued (not only live ones).
create unique index idx_api_keys_key_hash on app_public.api_keys (key_hash);
create index idx_api_keys_user_id on app_public.api_keys (user_id);
create unique index idx_api_keys_user_id_name on app_public.api_keys (user_id, name) where deleted_at is null;

comment on table app_public.api_keys is E'@behavior -insert\nAn API key of a user, for agents calling the gateway with X-API-Key. Created by createApiKey, which shows the plain key once.';
comment on column app_public.api_keys.id is 'Unique identifier of the key (auto-increment).';
comment on column app_public.api_keys.user_id is 'The user the key belongs to and acts as.';
comment on column app_public.api_keys.name is 'Name given by the user, unique among the user''s live keys.';
comment on column app_public.api_keys.key_hash is E'@behavior -select -insert -update -filterBy -orderBy\nSHA-256 (hex) of the key; the key itself is never stored. Never readable through the API.';
comment on column app_public.api_keys.key_prefix is 'First characters of the key (e.g. sg_live_ab12), so the user can recognise it.';
comment on column app_public.api_keys.status is 'active, or revoked (permanent; a revoked key is rejected).';
comment on column app_public.api_keys.usage_count is 'How many requests were made with the key.';
comment on column app_public.api_keys.last_used_at is 'When the key was last used.';
comment on column app_public.api_keys.revoked_at is 'When the key was revoked; set automatically when status becomes revoked.';
comment on column app_public.api_keys.expires_at is 'When the key stops working; null for no expiry.';
comment on column app_public.api_keys.created_at is 'When the key was created.';
comment on column app_public.api_keys.updated_at is 'When the key was last changed.';
comment on column app_public.api_keys.deleted_at is 'When the key was soft-deleted (which also revokes it); null otherwise.';

alter table app_public.api_keys enable row level security;
create policy hide_deleted on app_public.api_keys as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.api_keys for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy update_own on app_public.api_keys for update to spendgate_user
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.api_keys for select to spendgate_operator
  using (true);
create policy admin_all on app_public.api_keys for all to spendgate_admin
  using (true) with check (true);

grant select (id, user_id, name, key_prefix, status, usage_count, last_used_at, revoked_at,
  expires_at, created_at, updated_at, deleted_at) on app_public.api_keys to spendgate_user;
grant update (status, deleted_at) on app_public.api_keys to spendgate_user;
grant update (name, expires_at) on app_public.api_keys to spendgate_admin;
