-- Why: one users table for all four seeds (000 SmartSpace + 003 SpendSense columns). Accounts are
-- created by the dedicated register operation (a later issue), so the API offers no create.
-- A user sees and edits only their own row and only the harmless columns; role, tier, status,
-- balances and counters are written by admins and by the gateway's own SQL functions.
-- password_hash is readable by no API role at all.

create table app_public.users (
  user_id uuid primary key default gen_random_uuid(),
  email citext check (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  phone_number text,
  password_hash text,
  oauth_providers jsonb not null default '{}' check (jsonb_typeof(oauth_providers) = 'object'),
  role app_public.user_role not null default 'user',
  consent_status boolean not null default false,
  consent_version text not null default '1.0',
  account_status app_public.accountstatus not null default 'active',
  tier app_public.usertier not null default 'free',
  total_spending numeric(20,8) not null default 0 check (total_spending >= 0),
  available_balance numeric(20,8) not null default 0 check (available_balance >= 0),
  total_requests bigint not null default 0 check (total_requests >= 0),
  last_request_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);

-- Unique among live users only: an email or phone number can be registered again after the
-- account holding it was soft-deleted.
create unique index idx_users_email on app_public.users (email) where deleted_at is null;
create unique index idx_users_phone_number on app_public.users (phone_number) where deleted_at is null;

comment on table app_public.users is E'@behavior -insert\nA person or organisation using Spendgate. Accounts are created by registration, not by a generic create.';
comment on column app_public.users.user_id is 'Unique identifier of the user.';
comment on column app_public.users.email is 'Email address, case-insensitive; unique among live users.';
comment on column app_public.users.phone_number is 'Phone number; unique among live users.';
comment on column app_public.users.password_hash is E'@behavior -select -insert -update -filterBy -orderBy\nbcrypt hash of the password (pgcrypto crypt()). Never readable through the API.';
comment on column app_public.users.oauth_providers is 'Linked OAuth identities as an object, e.g. {"google": "provider-id"}.';
comment on column app_public.users.role is 'Privilege level: user, operator or admin. Only admins can change it.';
comment on column app_public.users.consent_status is 'Whether the user has given consent to data processing.';
comment on column app_public.users.consent_version is 'Version of the consent text the user agreed to.';
comment on column app_public.users.account_status is 'Whether the account may be used (active, suspended, inactive).';
comment on column app_public.users.tier is 'The plan the user is on (free, pro, enterprise).';
comment on column app_public.users.total_spending is 'Total amount spent by the user over all requests.';
comment on column app_public.users.available_balance is 'Prepaid balance the user can still spend.';
comment on column app_public.users.total_requests is 'Number of requests the user has made.';
comment on column app_public.users.last_request_at is 'When the user last made a request.';
comment on column app_public.users.created_at is 'When the user was created.';
comment on column app_public.users.updated_at is 'When the user was last changed.';
comment on column app_public.users.deleted_at is 'When the user was soft-deleted; null while the account exists. Deleting revokes the user''s API keys and sessions.';

alter table app_public.users enable row level security;
-- Soft-deleted rows are hidden (see sql/0400-timestamps-and-soft-delete.sql for why `deleted_at = now()`).
create policy hide_deleted on app_public.users as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.users for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy update_own on app_public.users for update to spendgate_user
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.users for select to spendgate_operator
  using (true);
create policy admin_all on app_public.users for all to spendgate_admin
  using (true) with check (true);

grant select (user_id, email, phone_number, oauth_providers, role, consent_status, consent_version,
  account_status, tier, total_spending, available_balance, total_requests, last_request_at,
  created_at, updated_at, deleted_at) on app_public.users to spendgate_user;
grant update (email, phone_number, oauth_providers, consent_status, consent_version, deleted_at)
  on app_public.users to spendgate_user;
grant update (email, phone_number, oauth_providers, role, consent_status, consent_version,
  account_status, tier, total_spending, available_balance, total_requests, last_request_at, deleted_at)
  on app_public.users to spendgate_admin;
