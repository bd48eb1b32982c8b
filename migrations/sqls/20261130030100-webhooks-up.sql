-- Why: webhooks deliver alert events (migration 20261130030000) to a user's own systems, at least
-- once, signed, with a record of every attempt (issue 11, part 5).
--
-- The signing secret: a receiver checks an HMAC-SHA256 signature, so the worker needs the secret
-- itself, not a hash of it. It is stored in app_private.webhook_secrets, a table no API role can
-- read (no grant, not exposed): only the owner connection the worker uses reads it. The user sees
-- it once, in the createWebhook answer. (Not encrypted at rest: a dump of the database contains
-- the secrets, as it would contain an encryption key kept in the same database.)
--
-- app_private.webhook_queue holds the delivery work: one row per (webhook, event), written in the
-- event's transaction, with the attempt count and when to try next. app_public.webhook_deliveries
-- records every attempt, for the user to read.

create table app_public.webhooks (
  webhook_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default app_public.current_user_id()
    references app_public.users (user_id) on delete cascade,
  url text not null check (url ~ '^https?://' and length(url) <= 2000),
  events app_public.alert_event_kind[] not null check (cardinality(events) > 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index idx_webhooks_user_id on app_public.webhooks (user_id);

comment on table app_public.webhooks is E'@behavior -insert -delete\nAn endpoint of a user that receives the user''s alert events (HTTP POST, signed). Created with createWebhook, which shows the signing secret once; removed by soft delete (deletedAt).';
comment on column app_public.webhooks.webhook_id is 'Unique identifier of the webhook.';
comment on column app_public.webhooks.user_id is 'The user whose alert events the webhook receives.';
comment on column app_public.webhooks.url is 'Where events are POSTed (https in production; never a private or loopback address outside development).';
comment on column app_public.webhooks.events is 'The kinds of alert events delivered to this webhook.';
comment on column app_public.webhooks.created_at is 'When the webhook was created.';
comment on column app_public.webhooks.updated_at is 'When the webhook was last changed.';
comment on column app_public.webhooks.deleted_at is 'When the webhook was removed; nothing is delivered to it after that.';

alter table app_public.webhooks enable row level security;
create policy hide_deleted on app_public.webhooks as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.webhooks for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy update_own on app_public.webhooks for update to spendgate_user
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.webhooks for select to spendgate_operator
  using (true);
create policy admin_all on app_public.webhooks for all to spendgate_admin
  using (true) with check (true);

grant select (webhook_id, user_id, url, events, created_at, updated_at, deleted_at) on app_public.webhooks to spendgate_user;
-- No url update: a URL is checked when the webhook is created (createWebhook); create a new one instead.
grant update (events, deleted_at) on app_public.webhooks to spendgate_user;

create table app_private.webhook_secrets (
  webhook_id uuid primary key references app_public.webhooks (webhook_id) on delete cascade,
  secret text not null check (length(secret) >= 32),
  created_at timestamptz not null default now()
);
comment on table app_private.webhook_secrets is 'The HMAC-SHA256 signing secret of each webhook; read only by the worker (owner connection), shown to the user once at creation.';
comment on column app_private.webhook_secrets.webhook_id is 'The webhook.';
comment on column app_private.webhook_secrets.secret is 'The signing secret (not a hash: the worker signs with it).';
comment on column app_private.webhook_secrets.created_at is 'When the secret was created.';

create table app_private.webhook_queue (
  webhook_id uuid not null references app_public.webhooks (webhook_id) on delete cascade,
  event_id uuid not null references app_public.alert_events (event_id) on delete cascade,
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  delivered_at timestamptz,
  gave_up_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (webhook_id, event_id)
);
create index idx_webhook_queue_event_id on app_private.webhook_queue (event_id);
create index idx_webhook_queue_next_attempt_at on app_private.webhook_queue (next_attempt_at)
  where delivered_at is null and gave_up_at is null;
comment on table app_private.webhook_queue is 'Delivery work of the webhooks: one row per webhook and event, until delivered (2xx) or given up.';
comment on column app_private.webhook_queue.webhook_id is 'The webhook to deliver to.';
comment on column app_private.webhook_queue.event_id is 'The event to deliver.';
comment on column app_private.webhook_queue.attempts is 'Attempts made so far.';
comment on column app_private.webhook_queue.next_attempt_at is 'When the next attempt is due (also a lease: a worker that claims the row moves it past its deadline).';
comment on column app_private.webhook_queue.delivered_at is 'When a 2xx answer was received; null until then.';
comment on column app_private.webhook_queue.gave_up_at is 'When the last allowed attempt failed; null otherwise.';
comment on column app_private.webhook_queue.created_at is 'When the event was queued (its transaction''s time).';

create table app_public.webhook_deliveries (
  delivery_id uuid primary key default gen_random_uuid(),
  webhook_id uuid not null references app_public.webhooks (webhook_id) on delete cascade,
  event_id uuid not null references app_public.alert_events (event_id) on delete cascade,
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  attempt integer not null check (attempt >= 1),
  status_code integer,
  error text,
  succeeded boolean not null,
  duration_ms integer not null check (duration_ms >= 0),
  next_attempt_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
-- One record per attempt number; also the index of the webhook_id foreign key.
create unique index idx_webhook_deliveries_webhook_id_event_id_attempt on app_public.webhook_deliveries (webhook_id, event_id, attempt);
create index idx_webhook_deliveries_event_id on app_public.webhook_deliveries (event_id);
create index idx_webhook_deliveries_user_id on app_public.webhook_deliveries (user_id);

comment on table app_public.webhook_deliveries is E'@behavior -insert -update -delete\nEvery attempt to deliver an alert event to a webhook, with its outcome.';
comment on column app_public.webhook_deliveries.delivery_id is 'Unique identifier of the attempt.';
comment on column app_public.webhook_deliveries.webhook_id is 'The webhook the event was sent to.';
comment on column app_public.webhook_deliveries.event_id is 'The event sent (X-Spendgate-Event-Id: the same on every attempt).';
comment on column app_public.webhook_deliveries.user_id is 'The owner of the webhook.';
comment on column app_public.webhook_deliveries.attempt is 'Which attempt this was for this webhook and event (1, 2, ...).';
comment on column app_public.webhook_deliveries.status_code is 'HTTP status of the answer; null when there was none (refused, unreachable, timed out).';
comment on column app_public.webhook_deliveries.error is 'Why the attempt failed when there was no answer, or the start of a non-2xx answer; null on success.';
comment on column app_public.webhook_deliveries.succeeded is 'True when the endpoint answered 2xx: the event is delivered.';
comment on column app_public.webhook_deliveries.duration_ms is 'How long the attempt took, in milliseconds.';
comment on column app_public.webhook_deliveries.next_attempt_at is 'When the next attempt is due after this failed one; null after a success or the last attempt.';
comment on column app_public.webhook_deliveries.created_at is 'When the attempt was made.';
comment on column app_public.webhook_deliveries.updated_at is 'When the row last changed (attempts do not change).';
comment on column app_public.webhook_deliveries.deleted_at is 'When an admin soft-deleted the record; null otherwise.';

alter table app_public.webhook_deliveries enable row level security;
create policy hide_deleted on app_public.webhook_deliveries as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.webhook_deliveries for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.webhook_deliveries for select to spendgate_operator
  using (true);
create policy admin_all on app_public.webhook_deliveries for all to spendgate_admin
  using (true) with check (true);

grant select (delivery_id, webhook_id, event_id, user_id, attempt, status_code, error, succeeded, duration_ms,
  next_attempt_at, created_at, updated_at, deleted_at) on app_public.webhook_deliveries to spendgate_user;
grant update (deleted_at) on app_public.webhook_deliveries to spendgate_admin;
