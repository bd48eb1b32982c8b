-- after: 20261122003200-submit-request
-- Why: every spend operation (submit_request in sql/6110-submit-request.sql, the request
-- lifecycle in sql/6120-request-lifecycle.sql, payments) starts the same way: find out who calls
-- and with which privileges, inside SECURITY DEFINER functions, and lock the caller's users row
-- first (the fixed lock order that keeps concurrent spend operations free of deadlocks).

-- Privilege level of the CALLER inside a SECURITY DEFINER function. current_user is the owner
-- there (so app_private.current_role_is_operator() would always say yes); the `role` setting
-- still holds the role the gateway switched to with SET ROLE, which a session can only set to a
-- role it is a member of. Without SET ROLE (a DBA in psql) the session user decides.
create or replace function app_private.caller_is_operator() returns boolean
  language sql stable
as $$
  select pg_catalog.pg_has_role(
    coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text)::name,
    'spendgate_operator', 'usage');
$$;
comment on function app_private.caller_is_operator() is
  'In a SECURITY DEFINER function: true when the calling role (SET ROLE, else the session user) has spendgate_operator privileges (operators, admins, superusers).';
revoke all on function app_private.caller_is_operator() from public;

-- Locks and returns the live user making the request (SGANO otherwise). First lock of every
-- spend operation.
create or replace function app_private.lock_caller() returns app_public.users
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_user app_public.users;
begin
  select * into v_user from app_public.users u
   where u.user_id = app_public.current_user_id() and u.deleted_at is null
   for no key update;
  if not found then
    raise exception 'this operation needs an authenticated user with a live account'
      using errcode = 'SGANO', hint = 'Log in or send an API key.';
  end if;
  return v_user;
end;
$$;
comment on function app_private.lock_caller() is
  'Locks (FOR NO KEY UPDATE) and returns the current user''s live row; raises SGANO when there is none.';
revoke all on function app_private.lock_caller() from public;

