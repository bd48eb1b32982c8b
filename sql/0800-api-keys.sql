-- after: 20261122000800-api-keys
-- Why: API keys are revoked for good: the revocation trigger, and the shared triggers of api_keys.

create or replace function app_private.tg_api_keys__revocation() returns trigger
  language plpgsql volatile
as $$
begin
  if tg_op = 'UPDATE' and old.status = 'revoked' and new.status <> 'revoked' then
    raise exception 'API key % is revoked; a revoked key cannot be reactivated', old.id
      using errcode = 'SGRVK', hint = 'Create a new API key instead.';
  end if;
  if new.deleted_at is not null and (tg_op = 'INSERT' or old.deleted_at is null) then
    new.status := 'revoked';
  end if;
  if new.status = 'revoked' then
    new.revoked_at := coalesce(new.revoked_at, now());
  end if;
  return new;
end;
$$;
comment on function app_private.tg_api_keys__revocation() is
  'Trigger on api_keys: stamps revoked_at on revocation, revokes a key when it is soft-deleted, refuses to reactivate a revoked key (SQLSTATE SGRVK).';
revoke all on function app_private.tg_api_keys__revocation() from public;

create or replace trigger _100_timestamps before insert or update on app_public.api_keys
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.api_keys
  for each row execute function app_private.tg__soft_delete_guard('id');
create or replace trigger _300_revocation before insert or update on app_public.api_keys
  for each row execute function app_private.tg_api_keys__revocation();
