-- after: 20261130020400-budget-time-zones
-- Why: a budget for one API key limits that key's agent; the key must be one of the budget
-- owner's own live keys, or a user could attach a budget to (and learn about) another user's
-- key. Checked by a trigger whoever writes the row (SGKEY).

create or replace function app_private.tg_budgets__api_key_owner() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  if new.api_key_id is not null and not exists (
    select from app_public.api_keys k
     where k.id = new.api_key_id and k.user_id = new.user_id and k.deleted_at is null
  ) then
    raise exception 'API key % does not exist or is not yours', new.api_key_id
      using errcode = 'SGKEY', hint = 'Use the apiKeyId of one of your own keys (createApiKey returns it).';
  end if;
  return new;
end;
$$;
comment on function app_private.tg_budgets__api_key_owner() is
  'Trigger (before insert or update of api_key_id, user_id on budgets): the budget''s API key must be a live key of the budget''s owner (SGKEY).';
revoke all on function app_private.tg_budgets__api_key_owner() from public;

create or replace trigger _310_api_key_owner before insert or update of api_key_id, user_id on app_public.budgets
  for each row execute function app_private.tg_budgets__api_key_owner();
