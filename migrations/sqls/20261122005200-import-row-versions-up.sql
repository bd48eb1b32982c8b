-- Why: a re-import updates rows whose legacy record changed. To roll such a batch back, the row
-- as it was before the batch is kept here (the whole row as jsonb). Rows a batch inserted are
-- known from legacy_ids; they are listed here too only when the mapping predates the batch (the
-- row had been deleted since and the batch recreated it under the same id).

create table app_private.import_row_versions (
  batch_id uuid not null references app_private.import_batches (batch_id) on delete cascade,
  entity text not null check (entity in ('users', 'projects', 'ai_jobs', 'sessions')),
  row_id uuid not null,
  action text not null check (action in ('insert', 'update')),
  previous jsonb check ((action = 'update') = (previous is not null)),
  primary key (batch_id, entity, row_id)
);
create index import_row_versions_entity_row_id_idx on app_private.import_row_versions (entity, row_id);

comment on table app_private.import_row_versions is 'Rows an import batch changed: the previous version of updated rows, for import:rollback.';
comment on column app_private.import_row_versions.batch_id is 'The batch that changed the row.';
comment on column app_private.import_row_versions.entity is 'Table of the row in app_public.';
comment on column app_private.import_row_versions.row_id is 'Primary key of the row.';
comment on column app_private.import_row_versions.action is 'update (previous holds the row before) or insert (row recreated under an existing legacy mapping).';
comment on column app_private.import_row_versions.previous is 'The whole row (to_jsonb) before the batch updated it; null for inserts.';
revoke all on table app_private.import_row_versions from public;
