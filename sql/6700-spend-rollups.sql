-- after: 20261130080000-spend-rollups
-- Why: the daily rollups of settled spend (migration 20261130080000) are kept by a trigger on
-- requests, in the same transaction as the settlement that changes them, so they are never
-- behind: a request counts while its actual cost is recorded and it is not soft-deleted; any
-- change to that, to its cost or to its key columns takes its old contribution out and puts the
-- new one in. Settling already locks the owner's users row (settle_reservation), so the
-- per-user rollup rows add no new waiting; platform rows are sharded by user for the same reason.
-- The expected rollups are defined once, as views over requests: the check function compares
-- them with the stored rollups and the rebuild (the backfill) copies them.

create or replace function app_private.spend_rollup_shard(user_id uuid) returns smallint
  language sql immutable parallel safe
as $$
  select (pg_catalog.get_byte(pg_catalog.uuid_send(user_id), 15) % 16)::smallint;
$$;
comment on function app_private.spend_rollup_shard(uuid) is
  'The platform_daily_spend shard (0-15) of a user: the low bits of the uuid''s last byte, stable across PostgreSQL versions.';
revoke all on function app_private.spend_rollup_shard(uuid) from public;

-- Adds (sign 1) or takes out (sign -1) one request's contribution to both rollups. Taking out is
-- an UPDATE, not an upsert of negative amounts: PostgreSQL checks constraints on the proposed row
-- before it looks for the conflicting one. A row that is not there to take from means the rollups
-- were changed behind the trigger's back: fail loudly (data_corrupted) rather than sum wrongly.
create or replace function app_private.add_to_spend_rollups(r app_public.requests, sign integer) returns void
  language plpgsql volatile
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_day date := (r.created_at at time zone 'utc')::date;
  v_shard smallint := app_private.spend_rollup_shard(r.user_id);
  v_id uuid;
  v_left bigint;
begin
  if sign > 0 then
    insert into app_public.daily_spend as s
      (day, user_id, project_id, agent_id, api_provider, model_name, settled_requests, actual_cost, settled_cost)
    values (v_day, r.user_id, r.project_id, r.agent_id, r.api_provider, r.model_name, 1, r.actual_cost, r.settled_cost)
    on conflict (user_id, day, project_id, agent_id, api_provider, model_name) do update set
      settled_requests = s.settled_requests + 1,
      actual_cost = s.actual_cost + excluded.actual_cost,
      settled_cost = s.settled_cost + excluded.settled_cost;
    insert into app_public.platform_daily_spend as s
      (day, api_provider, model_name, shard, settled_requests, actual_cost, settled_cost)
    values (v_day, r.api_provider, r.model_name, v_shard, 1, r.actual_cost, r.settled_cost)
    on conflict (day, api_provider, model_name, shard) do update set
      settled_requests = s.settled_requests + 1,
      actual_cost = s.actual_cost + excluded.actual_cost,
      settled_cost = s.settled_cost + excluded.settled_cost;
    return;
  end if;
  update app_public.daily_spend s set
    settled_requests = s.settled_requests - 1,
    actual_cost = s.actual_cost - r.actual_cost,
    settled_cost = s.settled_cost - r.settled_cost
   where s.user_id = r.user_id and s.day = v_day
     and s.project_id is not distinct from r.project_id and s.agent_id is not distinct from r.agent_id
     and s.api_provider is not distinct from r.api_provider and s.model_name is not distinct from r.model_name
  returning s.daily_spend_id, s.settled_requests into v_id, v_left;
  if v_id is null then
    raise exception 'daily_spend has no row to take request % out of', r.request_id using errcode = 'data_corrupted',
      hint = 'Run app_public.spend_rollup_discrepancies() to see what differs, and app_private.rebuild_spend_rollups() to repair.';
  end if;
  if v_left = 0 then
    delete from app_public.daily_spend s where s.daily_spend_id = v_id;
  end if;
  v_id := null;
  update app_public.platform_daily_spend s set
    settled_requests = s.settled_requests - 1,
    actual_cost = s.actual_cost - r.actual_cost,
    settled_cost = s.settled_cost - r.settled_cost
   where s.day = v_day and s.shard = v_shard
     and s.api_provider is not distinct from r.api_provider and s.model_name is not distinct from r.model_name
  returning s.platform_daily_spend_id, s.settled_requests into v_id, v_left;
  if v_id is null then
    raise exception 'platform_daily_spend has no row to take request % out of', r.request_id using errcode = 'data_corrupted',
      hint = 'Run app_public.spend_rollup_discrepancies() to see what differs, and app_private.rebuild_spend_rollups() to repair.';
  end if;
  if v_left = 0 then
    delete from app_public.platform_daily_spend s where s.platform_daily_spend_id = v_id;
  end if;
end;
$$;
comment on function app_private.add_to_spend_rollups(app_public.requests, integer) is
  'Adds (sign 1) or takes out (sign -1) one request''s actual and settled cost in daily_spend and platform_daily_spend; rows left at zero requests are deleted.';
revoke all on function app_private.add_to_spend_rollups(app_public.requests, integer) from public;

-- Definer: an admin's soft delete of a request runs this as the admin, who may not write rollups.
create or replace function app_private.tg__requests_spend_rollups() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') and old.actual_cost is not null and old.deleted_at is null then
    perform app_private.add_to_spend_rollups(old, -1);
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.actual_cost is not null and new.deleted_at is null then
    perform app_private.add_to_spend_rollups(new, 1);
  end if;
  return null;
end;
$$;
comment on function app_private.tg__requests_spend_rollups() is
  'Trigger (after insert, update or delete on requests): moves the request''s contribution in the spend rollups.';
revoke all on function app_private.tg__requests_spend_rollups() from public;

-- Three triggers so that each WHEN clause skips the trigger call where nothing counted changes
-- (submitting a request, approving it, ...): only recorded costs, their keys and soft deletes.
create or replace trigger _510_spend_rollups_insert after insert on app_public.requests
  for each row when (new.actual_cost is not null and new.deleted_at is null)
  execute function app_private.tg__requests_spend_rollups();
create or replace trigger _510_spend_rollups_update after update on app_public.requests
  for each row when (
    (old.actual_cost, old.settled_cost, old.deleted_at is null, old.created_at,
     old.user_id, old.project_id, old.agent_id, old.api_provider, old.model_name)
    is distinct from
    (new.actual_cost, new.settled_cost, new.deleted_at is null, new.created_at,
     new.user_id, new.project_id, new.agent_id, new.api_provider, new.model_name))
  execute function app_private.tg__requests_spend_rollups();
create or replace trigger _510_spend_rollups_delete after delete on app_public.requests
  for each row when (old.actual_cost is not null and old.deleted_at is null)
  execute function app_private.tg__requests_spend_rollups();

create or replace view app_private.daily_spend_expected as
  select (r.created_at at time zone 'utc')::date as day, r.user_id, r.project_id, r.agent_id, r.api_provider, r.model_name,
         count(*) as settled_requests, sum(r.actual_cost) as actual_cost, sum(r.settled_cost) as settled_cost
    from app_public.requests r
   where r.actual_cost is not null and r.deleted_at is null
   group by 1, 2, 3, 4, 5, 6;
comment on view app_private.daily_spend_expected is
  'What app_public.daily_spend must hold, computed from requests (slow: reads every settled request).';

create or replace view app_private.platform_daily_spend_expected as
  select e.day, e.api_provider, e.model_name, app_private.spend_rollup_shard(e.user_id) as shard,
         sum(e.settled_requests)::bigint as settled_requests, sum(e.actual_cost) as actual_cost, sum(e.settled_cost) as settled_cost
    from app_private.daily_spend_expected e
   group by 1, 2, 3, 4;
comment on view app_private.platform_daily_spend_expected is
  'What app_public.platform_daily_spend must hold, computed from requests (slow: reads every settled request).';

-- The generated connections filter by equality only; dashboards ask for a range of days ("the
-- last 30 days"). These return the rollup rows of the days from first_day to last_day inclusive
-- (null: unbounded), under the caller's row-level security, as connections with aggregates and
-- groupedAggregates. Not strict, so that PostgreSQL inlines them and uses the day indexes.
create or replace function app_public.daily_spend_between(first_day date, last_day date) returns setof app_public.daily_spend
  language sql stable
as $$
  select * from app_public.daily_spend s
   where (first_day is null or s.day >= first_day) and (last_day is null or s.day <= last_day);
$$;
comment on function app_public.daily_spend_between(date, date) is
  'Rollup rows of daily spend from first_day to last_day (UTC days, both included; null leaves that end open) that the caller may see: users their own, operators everyone''s. Group them like dailySpends.';
revoke all on function app_public.daily_spend_between(date, date) from public;
grant execute on function app_public.daily_spend_between(date, date) to spendgate_user;

create or replace function app_public.platform_daily_spend_between(first_day date, last_day date) returns setof app_public.platform_daily_spend
  language sql stable
as $$
  select * from app_public.platform_daily_spend s
   where (first_day is null or s.day >= first_day) and (last_day is null or s.day <= last_day);
$$;
comment on function app_public.platform_daily_spend_between(date, date) is
  'Operators: platform-wide rollup rows from first_day to last_day (UTC days, both included; null leaves that end open). Group them by API_PROVIDER and DAY for spend by provider and day.';
revoke all on function app_public.platform_daily_spend_between(date, date) from public;
grant execute on function app_public.platform_daily_spend_between(date, date) to spendgate_operator;

create or replace function app_public.spend_rollup_discrepancies()
  returns table (rollup text, key jsonb, expected jsonb, stored jsonb)
  language sql stable
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  with expected_daily as (
    select jsonb_build_object('day', day, 'userId', user_id, 'projectId', project_id, 'agentId', agent_id,
                              'apiProvider', api_provider, 'modelName', model_name) as key,
           jsonb_build_object('settledRequests', settled_requests, 'actualCost', actual_cost, 'settledCost', settled_cost) as totals
      from app_private.daily_spend_expected
  ), stored_daily as (
    select jsonb_build_object('day', day, 'userId', user_id, 'projectId', project_id, 'agentId', agent_id,
                              'apiProvider', api_provider, 'modelName', model_name),
           jsonb_build_object('settledRequests', settled_requests, 'actualCost', actual_cost, 'settledCost', settled_cost)
      from app_public.daily_spend where deleted_at is null
  ), expected_platform as (
    select jsonb_build_object('day', day, 'apiProvider', api_provider, 'modelName', model_name, 'shard', shard) as key,
           jsonb_build_object('settledRequests', settled_requests, 'actualCost', actual_cost, 'settledCost', settled_cost) as totals
      from app_private.platform_daily_spend_expected
  ), stored_platform as (
    select jsonb_build_object('day', day, 'apiProvider', api_provider, 'modelName', model_name, 'shard', shard),
           jsonb_build_object('settledRequests', settled_requests, 'actualCost', actual_cost, 'settledCost', settled_cost)
      from app_public.platform_daily_spend where deleted_at is null
  )
  select 'daily_spend', coalesce(e.key, s.key), e.totals, s.totals
    from expected_daily e full join stored_daily s (key, totals) on s.key = e.key
   where e.totals is distinct from s.totals
  union all
  select 'platform_daily_spend', coalesce(e.key, s.key), e.totals, s.totals
    from expected_platform e full join stored_platform s (key, totals) on s.key = e.key
   where e.totals is distinct from s.totals;
$$;
comment on function app_public.spend_rollup_discrepancies() is
  E'Admins: proves the spend rollups exact. Recomputes daily_spend and platform_daily_spend from every settled, live request and returns each key where the stored totals differ (rollup, key, expected, stored); no rows means both are exact. Reads the whole requests table: for checks, not dashboards.';
revoke all on function app_public.spend_rollup_discrepancies() from public;
grant execute on function app_public.spend_rollup_discrepancies() to spendgate_admin;

create or replace function app_private.rebuild_spend_rollups() returns void
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  -- SHARE blocks every writer of requests (and so the trigger) until the caller commits.
  lock table app_public.requests in share mode;
  delete from app_public.daily_spend;
  delete from app_public.platform_daily_spend;
  insert into app_public.daily_spend (day, user_id, project_id, agent_id, api_provider, model_name, settled_requests, actual_cost, settled_cost)
    select day, user_id, project_id, agent_id, api_provider, model_name, settled_requests, actual_cost, settled_cost
      from app_private.daily_spend_expected;
  insert into app_public.platform_daily_spend (day, api_provider, model_name, shard, settled_requests, actual_cost, settled_cost)
    select day, api_provider, model_name, shard, settled_requests, actual_cost, settled_cost
      from app_private.platform_daily_spend_expected;
end;
$$;
comment on function app_private.rebuild_spend_rollups() is
  'Recomputes both spend rollups from requests, holding writers of requests off until the caller commits (the backfill of migration 20261130080100-spend-rollups-access; a repair if a check ever fails).';
revoke all on function app_private.rebuild_spend_rollups() from public;

create or replace trigger _100_timestamps before insert or update on app_public.daily_spend
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.daily_spend
  for each row execute function app_private.tg__soft_delete_guard('daily_spend_id');
create or replace trigger _100_timestamps before insert or update on app_public.platform_daily_spend
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.platform_daily_spend
  for each row execute function app_private.tg__soft_delete_guard('platform_daily_spend_id');
