-- after: 20261130050000-insights
-- Why: insights are computed only for users who consented (users.consent_status). Revoking
-- consent (updateUser on one's own row) deletes what was derived from the user's spending: the
-- profile with its signals, the persona history (it holds signals too) and the recommendations
-- still pending review. Decided recommendations stay: they record what operators did. The
-- delete triggers of those tables invalidate the cached views (sql/6400-insights-notify.sql).

create or replace function app_private.tg_users__consent_revoked() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  delete from app_public.user_profiles p where p.user_id = new.user_id;
  delete from app_public.persona_history h where h.user_id = new.user_id;
  delete from app_public.recommendations r where r.user_id = new.user_id and r.status = 'pending';
  return null;
end;
$$;
comment on function app_private.tg_users__consent_revoked() is
  'Trigger on users: when consent is revoked, deletes the user''s profile and signals, persona history and pending recommendations.';
revoke all on function app_private.tg_users__consent_revoked() from public;

create or replace trigger _500_consent_revoked after update of consent_status on app_public.users
  for each row when (old.consent_status and not new.consent_status)
  execute function app_private.tg_users__consent_revoked();
