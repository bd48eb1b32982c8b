-- after: 20261130050000-insights
-- Why: expired rows only grow tables and their indexes: the cleanup job (task cleanup_expired,
-- hourly) deletes sessions whose refresh token expired (seed 003 indexes sessions.expires_at
-- "for cleanup") and phone verification codes that expired and no longer count towards the
-- per-phone hourly limit. A deleted expired session's refresh token is then refused as unknown
-- (SGRTI) instead of expired (SGRTE): it could not be used either way.

create or replace function app_private.cleanup_expired(as_of timestamptz default now())
  returns table (sessions_deleted integer, codes_deleted integer)
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  with sessions as (
    delete from app_public.sessions s where s.expires_at < as_of returning 1
  ), codes as (
    delete from app_private.phone_verifications v
     where v.expires_at < as_of and v.created_at < as_of - interval '1 hour'
    returning 1
  )
  select (select count(*)::integer from sessions), (select count(*)::integer from codes);
$$;
comment on function app_private.cleanup_expired(timestamptz) is
  'Deletes sessions expired before as_of and phone verification codes that expired and are older than the rate-limit hour; returns how many of each. Idempotent.';
revoke all on function app_private.cleanup_expired(timestamptz) from public;
