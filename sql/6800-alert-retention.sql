-- after: 20261201050000-alert-retention
-- Why: alert events (the outbox that alertEventsAfter, the subscription and webhooks read) and
-- the record of webhook attempts would otherwise grow forever. The daily job prune_alert_history
-- (src/tasks/prune_alert_history.ts) deletes both when older than ALERT_RETENTION_DAYS, except an
-- event still waiting for a webhook delivery (neither delivered nor given up): it stays, with its attempts, until the queue is done
-- with it. A client that stays away longer than the retention cannot catch up what was pruned.

create or replace function app_private.prune_alert_history(older_than timestamptz)
  returns table (events_deleted integer, deliveries_deleted integer)
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  with deliveries as (
    delete from app_public.webhook_deliveries d
     where d.created_at < older_than
       and not exists (select from app_private.webhook_queue q where q.event_id = d.event_id and q.delivered_at is null and q.gave_up_at is null)
    returning 1
  ), events as (
    -- Their queue rows (delivered or given up) and remaining attempts go with them, by cascade.
    delete from app_public.alert_events e
     where e.created_at < older_than
       and not exists (select from app_private.webhook_queue q where q.event_id = e.event_id and q.delivered_at is null and q.gave_up_at is null)
    returning 1
  )
  select (select count(*)::integer from events), (select count(*)::integer from deliveries);
$$;
comment on function app_private.prune_alert_history(timestamptz) is
  'Deletes alert events and webhook delivery attempts created before older_than, except those of events still queued for delivery; returns how many of each. Idempotent.';
revoke all on function app_private.prune_alert_history(timestamptz) from public;
