-- Why: alerts that arrive (issue 11, part 5). Threshold crossings, expired holds and bursts of
-- rejections are written to this outbox in the SAME transaction as the change that caused them
-- (by triggers, sql/6200-alert-events.sql), so an event exists exactly when its cause committed.
-- Subscriptions, webhooks and resynchronisation all read from here.
--
-- The cursor: a client keeps the position of the last event it handled and asks for the ones
-- after it. Sequence values are handed out before commit, so with a plain sequence a transaction
-- holding position 5 could commit after one holding 6, and a client that had moved past 6 would
-- never see 5. So `seq` is assigned at COMMIT time (a deferred trigger, sql/6200-alert-events.sql)
-- under a transaction-level advisory lock: positions are given in commit order, and only
-- event-writing transactions wait for each other, for the instant between that trigger and commit.

create type app_public.alert_event_kind as enum ('threshold_crossed', 'hold_expired', 'rejections_exceeded');
comment on type app_public.alert_event_kind is
  'What an alert event reports: threshold_crossed (80% or 100% of a budget limit reached), hold_expired (a reservation was released because its request never settled), rejections_exceeded (many rejections in a short time).';

create table app_public.alert_events (
  event_id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  kind app_public.alert_event_kind not null,
  payload jsonb not null default '{}' check (jsonb_typeof(payload) = 'object'),
  seq bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index idx_alert_events_user_id on app_public.alert_events (user_id);
create unique index idx_alert_events_seq on app_public.alert_events (seq);
create sequence app_private.alert_event_seq as bigint;
comment on sequence app_private.alert_event_seq is 'Positions of committed alert events (alert_events.seq), taken at commit time.';

comment on table app_public.alert_events is E'@behavior -insert -update -delete\nThe alert outbox: one row per event (budget threshold crossed, hold expired, rejections above a count), written in the same transaction as its cause. Read it after a cursor with alertEventsAfter to catch up after a disconnect.';
comment on column app_public.alert_events.event_id is E'Unique identifier of the event; webhooks send it as X-Spendgate-Event-Id, so receivers can drop duplicates.';
comment on column app_public.alert_events.user_id is 'The user the event concerns (owner of the budget or request).';
comment on column app_public.alert_events.kind is 'What happened.';
comment on column app_public.alert_events.payload is 'Details of the event, as a JSON object (fields depend on the kind; amounts are strings).';
comment on column app_public.alert_events.seq is E'@name cursor\nPosition of the event in the outbox, in commit order. Keep the cursor of the last event you handled and pass it to alertEventsAfter to get everything after it.';
comment on column app_public.alert_events.created_at is 'When the event happened (time of the transaction that caused it).';
comment on column app_public.alert_events.updated_at is 'When the row last changed (events do not change).';
comment on column app_public.alert_events.deleted_at is 'When an admin soft-deleted the event; null otherwise.';

alter table app_public.alert_events enable row level security;
create policy hide_deleted on app_public.alert_events as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.alert_events for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.alert_events for select to spendgate_operator
  using (true);
create policy admin_all on app_public.alert_events for all to spendgate_admin
  using (true) with check (true);

grant select (event_id, user_id, kind, payload, seq, created_at, updated_at, deleted_at)
  on app_public.alert_events to spendgate_user;
grant update (deleted_at) on app_public.alert_events to spendgate_admin;

-- "Rejections above a count" counts a user's recent rejections on every rejection; this keeps
-- that count to the user's rejected rows instead of all their requests.
create index idx_requests_user_id_rejected on app_public.requests (user_id, updated_at) where status = 'rejected';
