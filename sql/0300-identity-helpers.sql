-- after: 20261122000300-identity-helpers
-- Why: every policy needs "who is calling". Two sources, each used for what it can be trusted for:
--
-- * The caller's USER comes from the transaction-local setting `jwt.claims.user_id`, which the
--   gateway sets after verifying the JWT or API key (together with `jwt.claims.role`).
-- * The caller's PRIVILEGE LEVEL comes from `current_user`, i.e. the role the gateway switched to
--   with `set local role`. Unlike a setting, which any SQL session can set to anything, the
--   current role cannot be forged: a session can only switch to roles it is a member of.
--   pg_has_role(..., 'usage') follows inheritance (admin ⊃ operator ⊃ user) and is true for
--   superusers; it is false for spendgate_authenticator itself (NOINHERIT).
--
-- All helpers are SECURITY INVOKER on purpose: `current_user` inside a SECURITY DEFINER function
-- is the function's owner. Policies call them wrapped in a subselect,
-- `user_id = (select app_public.current_user_id())`, so they run once per statement.

create or replace function app_public.current_user_id() returns uuid
  language sql stable
as $$
  select nullif(pg_catalog.current_setting('jwt.claims.user_id', true), '')::uuid;
$$;
comment on function app_public.current_user_id() is
  'The id of the user making the request (from the verified JWT or API key), or null for anonymous requests.';
revoke all on function app_public.current_user_id() from public;
grant execute on function app_public.current_user_id()
  to spendgate_anonymous, spendgate_user, spendgate_operator, spendgate_admin;

create or replace function app_private.current_role_is_admin() returns boolean
  language sql stable
as $$
  select pg_catalog.pg_has_role(current_user, 'spendgate_admin', 'usage');
$$;
comment on function app_private.current_role_is_admin() is
  'True when the current role has spendgate_admin privileges (spendgate_admin itself, or a superuser).';

create or replace function app_private.current_role_is_operator() returns boolean
  language sql stable
as $$
  select pg_catalog.pg_has_role(current_user, 'spendgate_operator', 'usage');
$$;
comment on function app_private.current_role_is_operator() is
  'True when the current role has spendgate_operator privileges (operators, admins, superusers).';

create or replace function app_private.current_role_is_api() returns boolean
  language sql stable
as $$
  select current_user::text = any (array[
    'spendgate_authenticator', 'spendgate_anonymous', 'spendgate_user', 'spendgate_operator', 'spendgate_admin'
  ]);
$$;
comment on function app_private.current_role_is_api() is
  'True when the statement runs as one of the roles the gateway uses; false for the schema owner, a DBA or a superuser working in SQL directly.';

-- The explicit, audited path to soft-deleted rows: only an admin, and only when the gateway has
-- set `spendgate.include_deleted` to 'on' for this transaction (it does so only for admins who
-- ask for it with a request header). See sql/0400-timestamps-and-soft-delete.sql for how policies use it.
create or replace function app_private.viewing_deleted() returns boolean
  language sql stable
as $$
  select pg_catalog.current_setting('spendgate.include_deleted', true) is not distinct from 'on'
     and app_private.current_role_is_admin();
$$;
comment on function app_private.viewing_deleted() is
  'True when soft-deleted rows should be visible: the current role is an admin and spendgate.include_deleted is ''on''.';

do $$
declare
  f text;
begin
  foreach f in array array[
    'app_private.current_role_is_admin()', 'app_private.current_role_is_operator()',
    'app_private.current_role_is_api()', 'app_private.viewing_deleted()'
  ] loop
    execute format('revoke all on function %s from public', f);
    execute format('grant execute on function %s to spendgate_anonymous, spendgate_user, spendgate_operator, spendgate_admin', f);
  end loop;
end
$$;
