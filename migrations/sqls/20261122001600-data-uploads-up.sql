-- Why: seed 003's data uploads: metadata of files a user uploaded to S3 for analysis. Rows are
-- written by the upload flow (the backend knows the S3 key); users read and delete their own.

create table app_public.data_uploads (
  upload_id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  file_name text not null,
  file_size bigint check (file_size >= 0),
  file_type app_public.file_type not null,
  s3_key text,
  s3_bucket text,
  status app_public.upload_status not null default 'pending',
  validation_errors jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  processed_at timestamptz,
  deleted_at timestamptz
);
-- Seed 003's indexes.
create index idx_data_uploads_user_id on app_public.data_uploads (user_id);
create index idx_data_uploads_status on app_public.data_uploads (status);
create index idx_data_uploads_created_at on app_public.data_uploads (created_at);

comment on table app_public.data_uploads is 'A data file (JSON or CSV) a user uploaded for analysis, and the state of its processing.';
comment on column app_public.data_uploads.upload_id is 'Unique identifier of the upload.';
comment on column app_public.data_uploads.user_id is 'The user who uploaded the file.';
comment on column app_public.data_uploads.file_name is 'Original name of the file.';
comment on column app_public.data_uploads.file_size is 'Size of the file in bytes.';
comment on column app_public.data_uploads.file_type is 'Format of the file (json or csv).';
comment on column app_public.data_uploads.s3_key is 'Object key of the file in S3.';
comment on column app_public.data_uploads.s3_bucket is 'S3 bucket holding the file.';
comment on column app_public.data_uploads.status is 'Processing state (pending, processing, completed, failed).';
comment on column app_public.data_uploads.validation_errors is 'Problems found while validating the file, as JSON; null if none.';
comment on column app_public.data_uploads.created_at is 'When the file was uploaded.';
comment on column app_public.data_uploads.updated_at is 'When the upload was last changed.';
comment on column app_public.data_uploads.processed_at is 'When processing finished; null before.';
comment on column app_public.data_uploads.deleted_at is 'When the upload was soft-deleted; null otherwise.';

alter table app_public.data_uploads enable row level security;
create policy hide_deleted on app_public.data_uploads as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.data_uploads for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy update_own on app_public.data_uploads for update to spendgate_user
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.data_uploads for select to spendgate_operator
  using (true);
create policy admin_all on app_public.data_uploads for all to spendgate_admin
  using (true) with check (true);

grant select (upload_id, user_id, file_name, file_size, file_type, s3_key, s3_bucket, status,
  validation_errors, created_at, updated_at, processed_at, deleted_at) on app_public.data_uploads to spendgate_user;
grant update (deleted_at) on app_public.data_uploads to spendgate_user;
grant insert (user_id, file_name, file_size, file_type, s3_key, s3_bucket, status, validation_errors, processed_at)
  on app_public.data_uploads to spendgate_admin;
grant update (file_name, file_size, file_type, s3_key, s3_bucket, status, validation_errors, processed_at)
  on app_public.data_uploads to spendgate_admin;
