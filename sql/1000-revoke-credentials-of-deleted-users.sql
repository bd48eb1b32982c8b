-- after: 20261122001000-revoke-credentials-of-deleted-users
-- Why: soft-deleting a user must end every way of acting as that user, in the same
-- transaction: all API keys revoked, all sessions revoked. SECURITY DEFINER because the
-- user deleting their own account may not write revoked_at, and RLS must not hide any of the
-- rows. Restoring the user does not bring credentials back (revocation is permanent).

create or replace function app_private.tg_users__revoke_credentials() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  if old.deleted_at is null and new.deleted_at is not null then
    update app_public.api_keys
      set status = 'revoked', revoked_at = coalesce(revoked_at, now())
      where user_id = new.user_id and status <> 'revoked';
    update app_public.sessions
      set revoked_at = now()
      where user_id = new.user_id and revoked_at is null;
  end if;
  return null;
end;
$$;
comment on function app_private.tg_users__revoke_credentials() is
  'Trigger (after update of deleted_at on users): soft-deleting a user revokes all of the user''s API keys and sessions.';
revoke all on function app_private.tg_users__revoke_credentials() from public;

create or replace trigger _500_revoke_credentials after update of deleted_at on app_public.users
  for each row execute function app_private.tg_users__revoke_credentials();
