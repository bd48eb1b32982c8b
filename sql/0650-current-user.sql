-- after: 20261122000600-users
-- Why: a client that holds a token or an API key needs to know who it is (id, email, role,
-- balance) without decoding the token: Query.currentUser. SECURITY DEFINER because users has
-- columns no API role may read (password_hash, and the importer's legacy column): a row-typed
-- function running as the caller would need them all. It returns only the caller's own live row,
-- with those columns emptied (the API's User type has no field for them either). Anonymous
-- callers get null.

create or replace function app_public."current_user"() returns app_public.users
  language plpgsql stable
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_user app_public.users;
begin
  select * into v_user from app_public.users u
   where u.user_id = app_public.current_user_id() and u.deleted_at is null;
  if not found then
    return null;
  end if;
  return pg_catalog.jsonb_populate_record(null::app_public.users,
    pg_catalog.to_jsonb(v_user) - 'password_hash' - 'legacy');
end;
$$;
comment on function app_public."current_user"() is
  'The user this request is authenticated as (by access token or API key); null without credentials.';
revoke all on function app_public."current_user"() from public;
grant execute on function app_public."current_user"()
  to spendgate_anonymous, spendgate_user, spendgate_operator, spendgate_admin;
