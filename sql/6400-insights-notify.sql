-- after: 20261130050000-insights
-- Why: the gateway caches a user's profile, signals and recommendations (Redis, seed 003 "Cache
-- Strategy"). Whoever changes them (an API call, the persona job in another process, a DBA in
-- SQL, a cascade from a deleted user), the database says so on channel `spendgate_insights` once
-- the change commits, and every gateway instance drops the affected keys. Statement-level
-- triggers send one notification per 100 users however many rows a statement touched (a
-- notification's payload is limited to 8000 bytes).
--
-- Payload: {"what": ["profile", "signals"] | ["recommendations"] | [all three], "users": [uuid, ...]}.

create or replace function app_private.notify_insights_changed(what text[], user_ids uuid[]) returns void
  language plpgsql volatile
as $$
declare
  v_count integer := coalesce(pg_catalog.array_length(user_ids, 1), 0);
  v_from integer := 1;
begin
  while v_from <= v_count loop
    perform pg_catalog.pg_notify('spendgate_insights',
      pg_catalog.json_build_object('what', what, 'users', user_ids[v_from:v_from + 99])::text);
    v_from := v_from + 100;
  end loop;
end;
$$;
comment on function app_private.notify_insights_changed(text[], uuid[]) is
  'Tells the gateways (channel spendgate_insights, sent at commit) that the named cached views (profile, signals, recommendations) of these users changed; 100 users per notification.';
revoke all on function app_private.notify_insights_changed(text[], uuid[]) from public;

-- The triggers are security definers: they run as whichever role made the change, and only the
-- owner may call notify_insights_changed.
-- Statement trigger (argument: the cached views the table feeds, comma-separated).
create or replace function app_private.tg__notify_insights() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_users uuid[];
begin
  if tg_op = 'DELETE' then
    select pg_catalog.array_agg(distinct o.user_id) into v_users from old_rows o;
  else
    select pg_catalog.array_agg(distinct n.user_id) into v_users from new_rows n;
  end if;
  perform app_private.notify_insights_changed(pg_catalog.string_to_array(tg_argv[0], ','), v_users);
  return null;
end;
$$;
comment on function app_private.tg__notify_insights() is
  'Statement trigger on user_profiles and recommendations: notifies the gateways of the users whose cached views (the trigger''s argument) changed.';
revoke all on function app_private.tg__notify_insights() from public;

-- Consent changes and (soft or restored) deletions of a user: every cached view goes.
create or replace function app_private.tg_users__notify_insights() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  perform app_private.notify_insights_changed(array['profile', 'signals', 'recommendations'], array[new.user_id]);
  return null;
end;
$$;
comment on function app_private.tg_users__notify_insights() is
  'Trigger on users: a change of consent or of deleted_at invalidates every cached insight view of the user.';
revoke all on function app_private.tg_users__notify_insights() from public;

create or replace trigger _600_notify_insights_insert after insert on app_public.user_profiles
  referencing new table as new_rows for each statement execute function app_private.tg__notify_insights('profile,signals');
create or replace trigger _600_notify_insights_update after update on app_public.user_profiles
  referencing new table as new_rows for each statement execute function app_private.tg__notify_insights('profile,signals');
create or replace trigger _600_notify_insights_delete after delete on app_public.user_profiles
  referencing old table as old_rows for each statement execute function app_private.tg__notify_insights('profile,signals');
create or replace trigger _600_notify_insights_insert after insert on app_public.recommendations
  referencing new table as new_rows for each statement execute function app_private.tg__notify_insights('recommendations');
create or replace trigger _600_notify_insights_update after update on app_public.recommendations
  referencing new table as new_rows for each statement execute function app_private.tg__notify_insights('recommendations');
create or replace trigger _600_notify_insights_delete after delete on app_public.recommendations
  referencing old table as old_rows for each statement execute function app_private.tg__notify_insights('recommendations');
create or replace trigger _600_notify_insights after update of consent_status, deleted_at on app_public.users
  for each row when (old.consent_status is distinct from new.consent_status or old.deleted_at is distinct from new.deleted_at)
  execute function app_private.tg_users__notify_insights();
