-- after: 20261122000900-sessions
-- Why: sessions are revoked for good: the revocation trigger, and the shared triggers of sessions.

create or replace function app_private.tg_sessions__revocation() returns trigger
  language plpgsql volatile
as $$
begin
  if tg_op = 'UPDATE' and old.revoked_at is not null and new.revoked_at is null then
    raise exception 'session % is revoked; a revoked session cannot be reactivated', old.session_id
      using errcode = 'SGRVK', hint = 'Log in again.';
  end if;
  if new.deleted_at is not null and (tg_op = 'INSERT' or old.deleted_at is null) then
    new.revoked_at := coalesce(new.revoked_at, now());
  end if;
  return new;
end;
$$;
comment on function app_private.tg_sessions__revocation() is
  'Trigger on sessions: a soft-deleted session is revoked; a revoked session cannot be reactivated (SQLSTATE SGRVK).';
revoke all on function app_private.tg_sessions__revocation() from public;

create or replace trigger _100_timestamps before insert or update on app_public.sessions
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.sessions
  for each row execute function app_private.tg__soft_delete_guard('session_id');
create or replace trigger _300_revocation before insert or update on app_public.sessions
  for each row execute function app_private.tg_sessions__revocation();
