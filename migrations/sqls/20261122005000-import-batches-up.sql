-- Why: seed 004 (D-2) wants the legacy unified_data.json import to be verified and reversible.
-- Every committed run of `npm run import` is one batch: what file it read (name and SHA-256),
-- when, what it did (counts per table) and its validation report. Rollback works batch by batch.
-- A failed or dry run leaves no batch: its transaction is rolled back as a whole.
-- Internal bookkeeping: app_private, granted to no API role.

create table app_private.import_batches (
  batch_id uuid primary key default gen_random_uuid(),
  name text not null unique check (name <> ''),
  file_name text not null,
  file_sha256 text not null check (file_sha256 ~ '^[0-9a-f]{64}$'),
  file_bytes bigint not null check (file_bytes >= 0),
  on_invalid text not null check (on_invalid in ('stop', 'skip')),
  started_at timestamptz not null,
  finished_at timestamptz not null,
  status text not null default 'committed' check (status in ('committed', 'rolled_back')),
  rolled_back_at timestamptz,
  counts jsonb not null default '{}' check (jsonb_typeof(counts) = 'object'),
  report jsonb not null default '[]' check (jsonb_typeof(report) = 'array'),
  constraint import_batches_rolled_back_at check ((status = 'rolled_back') = (rolled_back_at is not null))
);
create index import_batches_finished_at_idx on app_private.import_batches (finished_at);

comment on table app_private.import_batches is 'One committed run of the legacy importer (npm run import); the unit of import:rollback.';
comment on column app_private.import_batches.batch_id is 'Identifier of the batch, printed by the importer.';
comment on column app_private.import_batches.name is 'Human name of the batch (--batch-name, default: file name and start time); unique, usable instead of the id.';
comment on column app_private.import_batches.file_name is 'Base name of the imported file.';
comment on column app_private.import_batches.file_sha256 is 'SHA-256 (hex) of the imported file''s bytes.';
comment on column app_private.import_batches.file_bytes is 'Size of the imported file in bytes.';
comment on column app_private.import_batches.on_invalid is 'stop (any problem aborts) or skip (invalid records and their dependants skipped and reported).';
comment on column app_private.import_batches.started_at is 'When the import started.';
comment on column app_private.import_batches.finished_at is 'When the import finished loading and verifying (just before COMMIT).';
comment on column app_private.import_batches.status is 'committed, or rolled_back by npm run import:rollback.';
comment on column app_private.import_batches.rolled_back_at is 'When the batch was rolled back; null while committed.';
comment on column app_private.import_batches.counts is 'Per table: read, inserted, updated, unchanged, skipped, rejected.';
comment on column app_private.import_batches.report is 'Problems found (skip mode), as lines like "users[12].email: not an email" (capped).';
revoke all on table app_private.import_batches from public;
