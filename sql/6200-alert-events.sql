-- after: 20261130030000-alert-events
-- Why: the alert outbox is written by triggers on the tables whose changes are the events, so an
-- event is committed together with its cause (or not at all), whoever made the change: the spend
-- functions, the hold-expiry job, an operator or an admin. Each insert is announced by NOTIFY for
-- the live subscription (plugins/AlertSubscriptionPlugin.ts); the outbox itself is what clients
-- resynchronise from and what webhooks deliver.
--
-- Events:
--   threshold_crossed    a budget's daily or monthly spending (reserved and settled) reached 80% or
--                        100% of its limit: {budget_id, project_id, period, threshold, spent, limit}
--   hold_expired         a request's reservation was released because it never settled (status
--                        cancelled, reason hold_expired): {request_id, project_id, agent_id, estimated_cost}
--   rejections_exceeded  a user's 10th rejected request within an hour, at most once an hour:
--                        {count, window_seconds, request_id, reason}
-- Amounts are JSON strings (exact decimals).

-- The trigger functions below are SECURITY DEFINER: the outbox has no insert grant for any API
-- role, and the change may be made by any of them.
create or replace function app_private.emit_alert_event(user_id uuid, kind app_public.alert_event_kind, payload jsonb)
  returns void
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  insert into app_public.alert_events (user_id, kind, payload) values (user_id, kind, payload);
$$;
comment on function app_private.emit_alert_event(uuid, app_public.alert_event_kind, jsonb) is
  'Writes one event to the alert outbox, in the calling transaction.';
revoke all on function app_private.emit_alert_event(uuid, app_public.alert_event_kind, jsonb) from public;

-- Threshold crossings (the rule: app_private.budget_threshold_crossings, sql/3600) are computed
-- once per update, by this one trigger, which tells everyone who listens; two triggers, one per
-- consumer, each computing them, could disagree and doubled the work of every settlement. For each
-- mark crossed, in order:
-- * a threshold_crossed event in the outbox (subscriptions, alertEventsAfter, webhooks);
-- * NOTIFY spendgate_budget_threshold (README, "An agent's whole flow"), for database listeners,
--   with the whole crossing (the outbox's own NOTIFY carries only the event id and cursor):
--   {"budget_id", "user_id", "project_id", "period": "daily"|"monthly", "threshold": 80|100,
--    "spent", "limit", "at"}, amounts as JSON strings. Transactional like the event: heard only
--   if the change commits.
-- The WHEN clause skips updates that grow no spending counter (resets, releases, cheaper
-- settlements): they cannot cross a mark.
create or replace function app_private.tg_budgets__threshold_events() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v record;
begin
  for v in select * from app_private.budget_threshold_crossings(old, new) loop
    perform app_private.emit_alert_event(new.user_id, 'threshold_crossed', pg_catalog.jsonb_build_object(
      'budget_id', new.id, 'project_id', new.project_id, 'period', v.period, 'threshold', v.threshold,
      'spent', v.spent::text, 'limit', v.spending_limit::text));
    perform pg_catalog.pg_notify('spendgate_budget_threshold', pg_catalog.json_build_object(
      'budget_id', new.id, 'user_id', new.user_id, 'project_id', new.project_id,
      'period', v.period, 'threshold', v.threshold,
      'spent', v.spent::text, 'limit', v.spending_limit::text, 'at', now()
    )::text);
  end loop;
  return null;
end;
$$;
comment on function app_private.tg_budgets__threshold_events() is
  'Trigger (after update on budgets, when a spending counter grows): for each 80%/100% mark of the daily or monthly limit the update crossed upwards, one threshold_crossed event in the alert outbox and one NOTIFY spendgate_budget_threshold. The only trigger that computes threshold crossings.';
revoke all on function app_private.tg_budgets__threshold_events() from public;

-- Earlier versions wrote the events from a second trigger, _910_alert_threshold (and notified from
-- _900_threshold_events, then defined in sql/3600). The runner would drop it only at the end of
-- the run; dropping it here, in the transaction that makes _900_threshold_events write the
-- events, means no settlement during an upgrade gets two events per crossing, or none.
drop trigger if exists _910_alert_threshold on app_public.budgets;
create or replace trigger _900_threshold_events after update on app_public.budgets
  for each row
  when (new.current_daily_spending > old.current_daily_spending
        or new.current_monthly_spending > old.current_monthly_spending)
  execute function app_private.tg_budgets__threshold_events();

create or replace function app_private.tg_requests__alert_hold_expired() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  perform app_private.emit_alert_event(new.user_id, 'hold_expired', pg_catalog.jsonb_build_object(
    'request_id', new.request_id, 'project_id', new.project_id, 'agent_id', new.agent_id,
    'estimated_cost', new.estimated_cost::text));
  return null;
end;
$$;
comment on function app_private.tg_requests__alert_hold_expired() is
  'Trigger (after update on requests, when a request becomes cancelled with reason hold_expired): one hold_expired event.';
revoke all on function app_private.tg_requests__alert_hold_expired() from public;

create or replace trigger _910_alert_hold_expired after update of status on app_public.requests
  for each row
  when (new.status = 'cancelled' and new.reason = 'hold_expired' and old.status <> 'cancelled')
  execute function app_private.tg_requests__alert_hold_expired();

-- The count and window of rejections_exceeded, in one place.
create or replace function app_private.rejection_alert_rule(out count integer, out window_size interval)
  language sql immutable
as $$
  select 10, interval '1 hour';
$$;
comment on function app_private.rejection_alert_rule() is
  'rejections_exceeded fires on the COUNT-th rejection of a user within WINDOW_SIZE, at most once per window.';
revoke all on function app_private.rejection_alert_rule() from public;

create or replace function app_private.tg_requests__alert_rejections() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_rule record;
  v_count integer;
begin
  if tg_op = 'UPDATE' and old.status = 'rejected' then
    return null;
  end if;
  select * into v_rule from app_private.rejection_alert_rule();
  -- Cheap first: an agent hammering rejected calls must not pay for counting all of them. Once
  -- alerted, nothing is counted for the rest of the window; before, at most COUNT rows are read.
  if exists (
    select from app_public.alert_events e
     where e.user_id = new.user_id and e.kind = 'rejections_exceeded' and e.created_at > now() - v_rule.window_size
  ) then
    return null;
  end if;
  select count(*) into v_count from (
    select from app_public.requests r
     where r.user_id = new.user_id and r.status = 'rejected' and r.updated_at > now() - v_rule.window_size
     limit v_rule.count
  ) recent;
  if v_count >= v_rule.count then
    perform app_private.emit_alert_event(new.user_id, 'rejections_exceeded', pg_catalog.jsonb_build_object(
      'count', v_count, 'window_seconds', extract(epoch from v_rule.window_size)::integer,
      'request_id', new.request_id, 'reason', new.reason));
  end if;
  return null;
end;
$$;
comment on function app_private.tg_requests__alert_rejections() is
  'Trigger (after a request is recorded or becomes rejected): a rejections_exceeded event when the user''s rejections within the window reach the count of app_private.rejection_alert_rule(), once per window.';
revoke all on function app_private.tg_requests__alert_rejections() from public;

create or replace trigger _910_alert_rejections after insert or update of status on app_public.requests
  for each row
  when (new.status = 'rejected')
  execute function app_private.tg_requests__alert_rejections();

-- Publishing, at commit: the event gets its position (seq) and is announced. Runs as a deferred
-- trigger, so after all other work of the transaction: the advisory lock it takes (one per
-- database, on this table's oid) is held only until the commit that follows, and no event-writing
-- transaction can take a position and then commit after one that took a later position.
-- Live delivery: subscribers of one user listen on spendgate_alerts:<user_id>, operators on
-- spendgate_alerts. The payload is the event id and cursor only: the subscription reads the row
-- itself, under the subscriber's row-level security.
create or replace function app_private.tg_alert_events__publish() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_payload text;
begin
  perform pg_catalog.pg_advisory_xact_lock('app_public.alert_events'::regclass::oid::bigint);
  update app_public.alert_events e set seq = pg_catalog.nextval('app_private.alert_event_seq')
   where e.event_id = new.event_id
  returning pg_catalog.json_build_object('event_id', e.event_id, 'cursor', e.seq)::text into v_payload;
  perform pg_catalog.pg_notify('spendgate_alerts:' || new.user_id::text, v_payload);
  perform pg_catalog.pg_notify('spendgate_alerts', v_payload);
  return null;
end;
$$;
comment on function app_private.tg_alert_events__publish() is
  'Deferred trigger (at commit, after insert on alert_events): gives the event its position (seq) in commit order, then NOTIFY spendgate_alerts:<user_id> and spendgate_alerts with {"event_id", "cursor"}.';
revoke all on function app_private.tg_alert_events__publish() from public;

create or replace trigger _100_timestamps before insert or update on app_public.alert_events
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.alert_events
  for each row execute function app_private.tg__soft_delete_guard('event_id');

create or replace function app_public.alert_events_after(after_cursor bigint default null)
  returns setof app_public.alert_events
  language sql stable
as $$
  select e.* from app_public.alert_events e
   where e.seq > coalesce(after_cursor, 0)
   order by e.seq
   limit 1000;
$$;
comment on function app_public.alert_events_after(bigint) is
  'Your alert events (operators: everyone''s) after a cursor, oldest first, at most 1000 per call. Start with no cursor, then pass the cursor of the last event you handled; call again until nothing comes back. Use it after a disconnect to catch up on what the subscription missed.';
revoke all on function app_public.alert_events_after(bigint) from public;
grant execute on function app_public.alert_events_after(bigint) to spendgate_user;

-- A constraint trigger (the only kind that can be deferred) has no CREATE OR REPLACE. Last in
-- the file: dropped and created again on every run, it stays the newest object (the runner's records
-- list objects in creation order).
drop trigger if exists _900_publish on app_public.alert_events;
create constraint trigger _900_publish after insert on app_public.alert_events
  deferrable initially deferred
  for each row execute function app_private.tg_alert_events__publish();
