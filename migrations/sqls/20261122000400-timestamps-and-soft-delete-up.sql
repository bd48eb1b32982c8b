-- Why: every soft delete and restore of an app_public row is recorded (seeds 002/004: soft delete
-- with restore, auditable). The trigger functions that stamp timestamps, guard soft deletes and
-- write this log live in sql/0400-timestamps-and-soft-delete.sql, which also explains how soft
-- delete fits together.

create table app_private.soft_delete_log (
  id bigint generated always as identity primary key,
  table_name text not null,
  row_pk text not null,
  action text not null check (action in ('delete', 'restore')),
  actor_user_id uuid,
  actor_role text not null,
  at timestamptz not null default now()
);
create index soft_delete_log_table_name_row_pk_idx on app_private.soft_delete_log (table_name, row_pk);
create index soft_delete_log_at_idx on app_private.soft_delete_log (at);
comment on table app_private.soft_delete_log is 'Audit trail of every soft delete and restore of an app_public row.';
comment on column app_private.soft_delete_log.id is 'Sequence number of the entry.';
comment on column app_private.soft_delete_log.table_name is 'Table of the row (in app_public).';
comment on column app_private.soft_delete_log.row_pk is 'Primary key of the row, as text.';
comment on column app_private.soft_delete_log.action is '''delete'' (deleted_at set) or ''restore'' (deleted_at cleared).';
comment on column app_private.soft_delete_log.actor_user_id is 'The user of the request (jwt.claims.user_id), null when done in SQL directly.';
comment on column app_private.soft_delete_log.actor_role is 'The database role that ran the statement (current_user).';
comment on column app_private.soft_delete_log.at is 'When it happened (transaction time).';
revoke all on table app_private.soft_delete_log from public;
