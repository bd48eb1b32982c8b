-- Why: legacy records are keyed by their own ids (numbers or strings) and point at each other
-- with them. This table maps each legacy id, per entity, to the uuid of the row it became: it
-- resolves references, makes a re-import an upsert (same legacy id = same row) and tells which
-- rows a batch created (the mappings it inserted), which is what rollback deletes.

create table app_private.legacy_ids (
  entity text not null check (entity in ('users', 'projects', 'ai_jobs', 'sessions')),
  legacy_id text not null,
  new_id uuid not null,
  batch_id uuid not null references app_private.import_batches (batch_id) on delete restrict,
  position bigint not null check (position >= 0),
  primary key (entity, legacy_id)
);
create unique index legacy_ids_entity_new_id_idx on app_private.legacy_ids (entity, new_id);
create index legacy_ids_batch_id_idx on app_private.legacy_ids (batch_id);

comment on table app_private.legacy_ids is 'Legacy id of an imported record (per entity) and the uuid of the row it became.';
comment on column app_private.legacy_ids.entity is 'users, projects, ai_jobs or sessions (the legacy array the record came from).';
comment on column app_private.legacy_ids.legacy_id is 'Canonical text of the legacy id: a number''s digits or the string itself (42 and "42" are the same id).';
comment on column app_private.legacy_ids.new_id is 'Primary key of the row in app_public.<entity>.';
comment on column app_private.legacy_ids.batch_id is 'The batch that first imported this record (and created the row).';
comment on column app_private.legacy_ids.position is 'Index of the record in its array in that batch''s file: export writes records in this order.';
revoke all on table app_private.legacy_ids from public;
