-- after: 20261130030100-webhooks
-- Why: webhooks deliver each alert event at least once. The queue row of every (webhook, event)
-- is written by a trigger in the event's own transaction, so an event that committed is never
-- missed and one that rolled back is never sent. The worker task `deliver_webhooks`
-- (src/tasks/deliver_webhooks.ts) claims due rows, POSTs them and records each attempt here; the
-- time is always a parameter (`at`), so retries can be tested without waiting.

create or replace trigger _100_timestamps before insert or update on app_public.webhooks
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.webhooks
  for each row execute function app_private.tg__soft_delete_guard('webhook_id');
create or replace trigger _100_timestamps before insert or update on app_public.webhook_deliveries
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.webhook_deliveries
  for each row execute function app_private.tg__soft_delete_guard('delivery_id');

create or replace function app_private.tg_alert_events__queue_webhooks() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  insert into app_private.webhook_queue (webhook_id, event_id)
  select w.webhook_id, new.event_id from app_public.webhooks w
   where w.user_id = new.user_id and w.deleted_at is null and new.kind = any (w.events);
  -- Wake the worker now rather than at the next minute (once graphile-worker has installed its
  -- schema; the crontab run catches up otherwise). One job for all: it drains the whole queue.
  if found and pg_catalog.to_regnamespace('graphile_worker') is not null then
    execute 'select graphile_worker.add_job($1, job_key => $1, job_key_mode => $2)' using 'deliver_webhooks', 'preserve_run_at';
  end if;
  return null;
end;
$$;
comment on function app_private.tg_alert_events__queue_webhooks() is
  'Trigger (after insert on alert_events): queues the event for every live webhook of its user that asked for its kind, and adds the deliver_webhooks job.';
revoke all on function app_private.tg_alert_events__queue_webhooks() from public;

create or replace trigger _910_queue_webhooks after insert on app_public.alert_events
  for each row execute function app_private.tg_alert_events__queue_webhooks();

create or replace function app_private.create_webhook(url text, events app_public.alert_event_kind[], secret text)
  returns uuid
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_webhook_id uuid;
begin
  if app_public.current_user_id() is null then
    raise exception 'log in to create a webhook' using errcode = 'SGANO';
  end if;
  insert into app_public.webhooks (user_id, url, events)
  values (app_public.current_user_id(), create_webhook.url,
          (select array_agg(distinct e) from unnest(create_webhook.events) e))
  returning webhook_id into v_webhook_id;
  insert into app_private.webhook_secrets (webhook_id, secret) values (v_webhook_id, create_webhook.secret);
  return v_webhook_id;
end;
$$;
comment on function app_private.create_webhook(text, app_public.alert_event_kind[], text) is
  'Creates a webhook of the current user with its signing secret (createWebhook in plugins/WebhooksPlugin.ts checks the URL and makes the secret). SGANO when not logged in.';
revoke all on function app_private.create_webhook(text, app_public.alert_event_kind[], text) from public;
grant execute on function app_private.create_webhook(text, app_public.alert_event_kind[], text) to spendgate_user;

-- The retry schedule in one place: 30 s after the first failure, doubling, at most 1 hour apart;
-- the 10th failed attempt is the last (about 3 hours after the first).
create or replace function app_private.webhook_retry_delay(attempts integer) returns interval
  language sql immutable
as $$
  select case when attempts >= 10 then null
              else least(interval '30 seconds' * power(2, attempts - 1), interval '1 hour') end;
$$;
comment on function app_private.webhook_retry_delay(integer) is
  'How long to wait after the given number of failed attempts before the next one; null when no attempt is left.';
revoke all on function app_private.webhook_retry_delay(integer) from public;

create or replace function app_private.claim_webhook_deliveries(at timestamptz, max_count integer, lease interval)
  returns table (webhook_id uuid, event_id uuid, attempt integer, url text, secret text, body jsonb)
  language sql volatile
as $$
  with due as (
    select q.webhook_id, q.event_id from app_private.webhook_queue q
      join app_public.webhooks w on w.webhook_id = q.webhook_id
     where q.delivered_at is null and q.gave_up_at is null and q.next_attempt_at <= at
       and w.deleted_at is null
     order by q.next_attempt_at
     limit max_count
     for update of q skip locked
  ), claimed as (
    -- The lease: another worker will not take the row again before it runs out.
    update app_private.webhook_queue q set next_attempt_at = at + lease
      from due where q.webhook_id = due.webhook_id and q.event_id = due.event_id
    returning q.webhook_id, q.event_id, q.attempts
  )
  select c.webhook_id, c.event_id, c.attempts + 1, w.url, s.secret,
         jsonb_build_object('event_id', e.event_id, 'kind', e.kind, 'user_id', e.user_id, 'cursor', e.seq,
                            'created_at', e.created_at, 'payload', e.payload)
    from claimed c
    join app_public.webhooks w on w.webhook_id = c.webhook_id
    join app_private.webhook_secrets s on s.webhook_id = c.webhook_id
    join app_public.alert_events e on e.event_id = c.event_id;
$$;
comment on function app_private.claim_webhook_deliveries(timestamptz, integer, interval) is
  'For the worker: claims up to max_count deliveries due at `at` (skipping rows other workers hold) for `lease`, and returns what to send: URL, secret, attempt number and the event as JSON.';
revoke all on function app_private.claim_webhook_deliveries(timestamptz, integer, interval) from public;

create or replace function app_private.record_webhook_attempt(
  webhook_id uuid, event_id uuid, at timestamptz, status_code integer, error text, duration_ms integer
) returns void
  language plpgsql volatile
as $$
declare
  v_queue app_private.webhook_queue;
  v_succeeded boolean := coalesce(status_code between 200 and 299, false);
  v_next timestamptz;
begin
  update app_private.webhook_queue q set attempts = q.attempts + 1
   where q.webhook_id = record_webhook_attempt.webhook_id and q.event_id = record_webhook_attempt.event_id
     and q.delivered_at is null and q.gave_up_at is null
  returning * into v_queue;
  if not found then
    return; -- delivered or given up meanwhile (another worker after a lease ran out)
  end if;
  if not v_succeeded then
    v_next := at + app_private.webhook_retry_delay(v_queue.attempts);
  end if;
  update app_private.webhook_queue q set
    delivered_at = case when v_succeeded then at end,
    gave_up_at = case when not v_succeeded and v_next is null then at end,
    next_attempt_at = coalesce(v_next, q.next_attempt_at)
   where q.webhook_id = v_queue.webhook_id and q.event_id = v_queue.event_id;
  insert into app_public.webhook_deliveries (webhook_id, event_id, user_id, attempt, status_code, error, succeeded, duration_ms, next_attempt_at)
  select v_queue.webhook_id, v_queue.event_id, w.user_id, v_queue.attempts, status_code,
         case when not v_succeeded then left(error, 1000) end, v_succeeded, duration_ms, v_next
    from app_public.webhooks w where w.webhook_id = v_queue.webhook_id;
end;
$$;
comment on function app_private.record_webhook_attempt(uuid, uuid, timestamptz, integer, text, integer) is
  'For the worker: records one attempt (a webhook_deliveries row) and moves the queue row on: delivered on a 2xx, else retried after app_private.webhook_retry_delay or given up.';
revoke all on function app_private.record_webhook_attempt(uuid, uuid, timestamptz, integer, text, integer) from public;
