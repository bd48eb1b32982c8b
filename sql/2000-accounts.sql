-- after: 20261122002000-accounts
-- Why: accounts are created and checked in SQL, so that the password hash never leaves the
-- database: the gateway passes the password in, and gets back a user id or an error.
--
-- Password hashing: bcrypt through pgcrypto's crypt()/gen_salt('bf', 10) (cost 10: about 70 ms
-- per hash on a 2-core machine; slow on purpose). bcrypt is the one slow KDF PostgreSQL offers
-- without an extension beyond pgcrypto, and keeping it in SQL means no API role ever needs to read
-- password_hash. bcrypt only reads the first 72 bytes: longer passwords are refused.
--
-- Errors (SQLSTATE, passed through to clients by the gateway):
--   SGAUT  invalid email or password (the same for unknown email, wrong password and a
--          password-less account, so the answer reveals nothing about which accounts exist)
--   SGINA  the account is suspended or inactive
--   SGPWD  the password does not meet the rules (8 to 72 bytes)
--   SGDUP  an account with this email already exists

create or replace function app_private.assert_password_acceptable(password text) returns void
  language plpgsql immutable
as $$
begin
  if password is null or octet_length(password) < 8 or octet_length(password) > 72 then
    raise exception 'password must be 8 to 72 bytes long' using errcode = 'SGPWD';
  end if;
end;
$$;
comment on function app_private.assert_password_acceptable(text) is
  'Raises SGPWD unless the password is 8 to 72 bytes long (bcrypt ignores bytes after 72).';

create or replace function app_private.register_user(email text, password text) returns uuid
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_user_id uuid;
begin
  perform app_private.assert_password_acceptable(password);
  insert into app_public.users (email, password_hash)
  values (trim(register_user.email), public.crypt(password, public.gen_salt('bf', 10)))
  returning user_id into v_user_id;
  return v_user_id;
exception when unique_violation then
  raise exception 'an account with this email already exists' using errcode = 'SGDUP';
end;
$$;
comment on function app_private.register_user(text, text) is
  'Creates an account (role user, tier free) with a bcrypt hash of the password; returns its user_id. Raises SGPWD, SGDUP, or a check violation for a malformed email.';

create or replace function app_private.login(email text, password text)
  returns table (user_id uuid, role app_public.user_role)
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_user app_public.users;
begin
  select * into v_user from app_public.users u
   where u.email = login.email::public.citext and u.deleted_at is null;
  -- Hash even when there is no such user, so the timing does not tell which emails exist.
  if v_user.password_hash is null
     or public.crypt(password, v_user.password_hash) <> v_user.password_hash then
    perform public.crypt(coalesce(password, ''), '$2a$10$0123456789012345678901uAbCdEfGhIjKlMnOpQrStUvWxYz0123');
    raise exception 'invalid email or password' using errcode = 'SGAUT';
  end if;
  if v_user.account_status <> 'active' then
    raise exception 'this account is %', v_user.account_status using errcode = 'SGINA';
  end if;
  return query select v_user.user_id, v_user.role;
end;
$$;
comment on function app_private.login(text, text) is
  'Checks an email and password; returns the user id and role, or raises SGAUT (unknown email or wrong password, indistinguishable) or SGINA (account not active).';

do $$
declare
  f text;
begin
  foreach f in array array['app_private.register_user(text, text)', 'app_private.login(text, text)'] loop
    execute format('revoke all on function %s from public', f);
    execute format('grant execute on function %s to spendgate_anonymous, spendgate_user, spendgate_operator, spendgate_admin', f);
  end loop;
end
$$;
revoke all on function app_private.assert_password_acceptable(text) from public;
