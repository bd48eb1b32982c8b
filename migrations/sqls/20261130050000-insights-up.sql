-- Why: spend insights (issue 13, seed 003) turn the inert profile, history and recommendation
-- tables into a feature: a nightly job proposes recommendations per rule, operators decide on
-- them, users verify a phone number. This migration adds the shape those need:
-- * recommendations.rule: which rule proposed it; at most one pending recommendation per user
--   and rule (a partial unique index the job's insert relies on); a rejection needs a reason.
-- * users.phone_verified_at: when the current phone number was proven by a code.
-- * app_private.phone_verifications: the verification codes (hashed) and the per-phone request
--   log when no Redis is configured (PostgreSQL then holds what seed 003 keeps in verify:* and
--   ratelimit:sms:*). Reached only through security definer functions (sql/6450).
-- * Operators decide through approveRecommendation / rejectRecommendation only (security definer
--   functions, sql/6420): the generic update of status and rejection_reason, and the policy that
--   allowed it, go. The decision trigger enforces the rules on every path left.

alter table app_public.recommendations
  add column rule text check (rule ~ '^[a-z0-9_]+$'),
  add constraint recommendations_rejection_reason check (status <> 'rejected' or length(btrim(rejection_reason)) > 0);
create unique index idx_recommendations_user_id_rule_pending on app_public.recommendations (user_id, rule)
  where status = 'pending' and deleted_at is null;
comment on column app_public.recommendations.rule is
  'The rule of the persona job that proposed it (see the README, "Spend insights"); null for recommendations written by hand. At most one pending recommendation per user and rule.';
grant select (rule) on app_public.recommendations to spendgate_user;
grant insert (rule) on app_public.recommendations to spendgate_admin;
revoke update (status, rejection_reason) on app_public.recommendations from spendgate_operator;
drop policy operator_decide on app_public.recommendations;

alter table app_public.users add column phone_verified_at timestamptz;
comment on column app_public.users.phone_verified_at is
  'When phone_number was verified with a code (requestPhoneVerification, verifyPhone); null while it is unverified. Changing the number clears it.';
grant select (phone_verified_at) on app_public.users to spendgate_user;

create table app_private.phone_verifications (
  verification_id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  phone_number text not null,
  code_hash text not null check (code_hash ~ '^[0-9a-f]{64}$'),
  salt text not null,
  attempts integer not null default 0 check (attempts >= 0),
  expires_at timestamptz not null,
  verified_at timestamptz,
  created_at timestamptz not null default now()
);
create index idx_phone_verifications_user_id on app_private.phone_verifications (user_id, created_at);
create index idx_phone_verifications_phone_number on app_private.phone_verifications (phone_number, created_at);
create index idx_phone_verifications_expires_at on app_private.phone_verifications (expires_at);
comment on table app_private.phone_verifications is 'Phone verification codes (salted SHA-256 only) and the per-phone request log, used when no Redis is configured; rows are deleted by the cleanup job once expired and outside the rate-limit hour.';
comment on column app_private.phone_verifications.verification_id is 'Unique identifier of the code.';
comment on column app_private.phone_verifications.user_id is 'The user who asked for the code.';
comment on column app_private.phone_verifications.phone_number is 'The number the code was sent to.';
comment on column app_private.phone_verifications.code_hash is 'SHA-256 (hex) of the salt and the code; the code itself is never stored.';
comment on column app_private.phone_verifications.salt is 'Random salt of code_hash.';
comment on column app_private.phone_verifications.attempts is 'Wrong codes tried so far (at most 5 are accepted).';
comment on column app_private.phone_verifications.expires_at is 'The code is refused after this (10 minutes after it was sent).';
comment on column app_private.phone_verifications.verified_at is 'When the code was used successfully; a used code cannot be used again.';
comment on column app_private.phone_verifications.created_at is 'When the code was sent.';
alter table app_private.phone_verifications enable row level security;
revoke all on table app_private.phone_verifications from public;
