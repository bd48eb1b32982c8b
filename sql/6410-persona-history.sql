-- after: 20261130050000-insights
-- Why: persona_history must be complete whoever changes a profile (the persona job, an admin
-- through the API, a DBA in SQL): every new profile and every change of its persona appends a
-- history row with the signals that caused it, by trigger. Signals that change without a new
-- persona append nothing (the profile holds the latest ones).

create or replace function app_private.tg_user_profiles__history() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  insert into app_public.persona_history (user_id, persona_id, persona_name, assigned_at, signals)
  values (new.user_id, new.persona_id, new.persona_name, now(),
          jsonb_build_object('signals_30d', new.signals_30d, 'signals_180d', new.signals_180d));
  return null;
end;
$$;
comment on function app_private.tg_user_profiles__history() is
  'Trigger on user_profiles: appends a persona_history row (persona, now, the 30- and 180-day signals) for a new profile and for every change of persona. Security definer: the history is written whoever changes the profile.';
revoke all on function app_private.tg_user_profiles__history() from public;

create or replace trigger _500_persona_history_insert after insert on app_public.user_profiles
  for each row execute function app_private.tg_user_profiles__history();
create or replace trigger _500_persona_history_update after update of persona_id on app_public.user_profiles
  for each row when (old.persona_id is distinct from new.persona_id)
  execute function app_private.tg_user_profiles__history();
