-- Why: issue 12, spend data uploads. A user uploads a provider's usage export or any ledger of AI
-- spend (CSV or JSON); the process_upload job validates it and keeps the valid rows in
-- upload_transactions, so that reconciliation can compare them with the spend Spendgate settled.
-- data_uploads gets the counts of the processing and the state of the stored object; rows of
-- data_uploads are created by createUpload (a definer function, sql/6300-uploads.sql), never by
-- a client's insert.

alter table app_public.data_uploads
  add column row_count integer check (row_count >= 0),
  add column valid_row_count integer check (valid_row_count >= 0),
  add column error_count integer check (error_count >= 0),
  add column failure_reason text,
  add column object_removed_at timestamptz,
  add constraint data_uploads_validation_errors_is_array
    check (validation_errors is null or jsonb_typeof(validation_errors) = 'array');
comment on column app_public.data_uploads.row_count is 'Rows (transactions) read from the file; null before processing.';
comment on column app_public.data_uploads.valid_row_count is 'Rows that passed validation and were stored as upload transactions; null before processing.';
comment on column app_public.data_uploads.error_count is 'Problems found in the file, all of them (validation_errors lists only the first 100); null before processing.';
comment on column app_public.data_uploads.failure_reason is 'Why processing failed (the file is not valid CSV or JSON, lacks required columns, or is gone); null otherwise.';
comment on column app_public.data_uploads.object_removed_at is 'When the stored file was removed from storage (after a delete, or because it was never completed); null while it may still exist.';
grant select (row_count, valid_row_count, error_count, failure_reason, object_removed_at) on app_public.data_uploads to spendgate_user;
-- Pending uploads older than a day are cleaned up (task cleanup_uploads): find them by index.
create index idx_data_uploads_status_created_at on app_public.data_uploads (status, created_at);

create table app_public.upload_transactions (
  upload_transaction_id uuid primary key default gen_random_uuid(),
  upload_id uuid not null references app_public.data_uploads (upload_id) on delete cascade,
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  row_number integer not null check (row_number >= 1),
  occurred_at timestamptz not null,
  provider text not null check (provider <> ''),
  model text not null check (model <> ''),
  cost numeric(20,8) not null check (cost >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  external_id text,
  project text,
  agent text,
  input_tokens bigint check (input_tokens >= 0),
  output_tokens bigint check (output_tokens >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
-- One row per line of the file: re-processing an upload cannot store a line twice.
create unique index idx_upload_transactions_upload_id_row_number on app_public.upload_transactions (upload_id, row_number);
create index idx_upload_transactions_user_id on app_public.upload_transactions (user_id);

comment on table app_public.upload_transactions is E'@behavior -insert -update -delete\nOne valid spend transaction read from an uploaded file (process_upload). Read-only: written by the processing job only.';
comment on constraint upload_transactions_upload_id_fkey on app_public.upload_transactions is
  E'@foreignFieldName transactions\nThe upload a transaction was read from.';
comment on column app_public.upload_transactions.upload_transaction_id is 'Unique identifier of the stored transaction.';
comment on column app_public.upload_transactions.upload_id is 'The upload the transaction was read from.';
comment on column app_public.upload_transactions.user_id is 'The user who uploaded the file.';
comment on column app_public.upload_transactions.row_number is 'Position of the transaction in the file (1 = first data row, after a CSV header).';
comment on column app_public.upload_transactions.occurred_at is 'When the spend happened (the file''s occurred_at).';
comment on column app_public.upload_transactions.provider is 'Model provider billed (e.g. anthropic, openai), lower case.';
comment on column app_public.upload_transactions.model is 'Model name as the provider bills it.';
comment on column app_public.upload_transactions.cost is 'Cost of the transaction, >= 0, at most 8 decimals.';
comment on column app_public.upload_transactions.currency is 'ISO 4217 currency code of the cost (e.g. USD).';
comment on column app_public.upload_transactions.external_id is 'The provider''s or ledger''s identifier; matched against Spendgate request ids in reconciliation.';
comment on column app_public.upload_transactions.project is 'Project name or identifier as given in the file, if any.';
comment on column app_public.upload_transactions.agent is 'Agent identifier as given in the file, if any.';
comment on column app_public.upload_transactions.input_tokens is 'Input (prompt) tokens, if given.';
comment on column app_public.upload_transactions.output_tokens is 'Output (completion) tokens, if given.';
comment on column app_public.upload_transactions.created_at is 'When the transaction was stored.';
comment on column app_public.upload_transactions.updated_at is 'When the stored transaction last changed.';
comment on column app_public.upload_transactions.deleted_at is 'When the transaction was soft-deleted; null otherwise.';

alter table app_public.upload_transactions enable row level security;
create policy hide_deleted on app_public.upload_transactions as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.upload_transactions for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.upload_transactions for select to spendgate_operator
  using (true);
create policy admin_all on app_public.upload_transactions for all to spendgate_admin
  using (true) with check (true);
grant select (upload_transaction_id, upload_id, user_id, row_number, occurred_at, provider, model, cost, currency,
  external_id, project, agent, input_tokens, output_tokens, created_at, updated_at, deleted_at)
  on app_public.upload_transactions to spendgate_user;

-- Reconciliation (computed columns of data_uploads, sql/6300-uploads.sql) returns these rows.
create type app_public.reconciliation_status as enum ('matched', 'cost_differs', 'missing_in_gateway', 'missing_in_upload');
comment on type app_public.reconciliation_status is 'How an uploaded total compares with the spend Spendgate settled: matched (same cost), cost_differs, missing_in_gateway (only in the file), missing_in_upload (only in Spendgate).';

create type app_public.upload_reconciliation_line as (
  day date,
  provider text,
  model text,
  uploaded_cost numeric(20,8),
  uploaded_count integer,
  recorded_cost numeric(20,8),
  recorded_count integer,
  difference numeric(20,8),
  status app_public.reconciliation_status
);
comment on type app_public.upload_reconciliation_line is 'The uploaded and the settled spend of one provider, model and UTC day.';
comment on column app_public.upload_reconciliation_line.day is 'The UTC day.';
comment on column app_public.upload_reconciliation_line.provider is 'The model provider (lower case).';
comment on column app_public.upload_reconciliation_line.model is 'The model.';
comment on column app_public.upload_reconciliation_line.uploaded_cost is 'Sum of the cost of the file''s transactions.';
comment on column app_public.upload_reconciliation_line.uploaded_count is 'Number of the file''s transactions.';
comment on column app_public.upload_reconciliation_line.recorded_cost is 'Sum of the actual cost of the executed requests Spendgate settled.';
comment on column app_public.upload_reconciliation_line.recorded_count is 'Number of those requests.';
comment on column app_public.upload_reconciliation_line.difference is 'uploaded_cost - recorded_cost: positive when the bill is higher than what Spendgate recorded.';
comment on column app_public.upload_reconciliation_line.status is 'matched, cost_differs, missing_in_gateway or missing_in_upload.';

create type app_public.upload_request_match as (
  external_id text,
  request_id uuid,
  uploaded_cost numeric(20,8),
  recorded_cost numeric(20,8),
  difference numeric(20,8),
  status app_public.reconciliation_status
);
comment on type app_public.upload_request_match is 'An uploaded transaction whose external_id is a Spendgate request id, compared with that request.';
comment on column app_public.upload_request_match.external_id is 'The external_id given in the file.';
comment on column app_public.upload_request_match.request_id is 'The matching request, when there is a settled one of this user.';
comment on column app_public.upload_request_match.uploaded_cost is 'Sum of the cost of the file''s transactions with this external_id.';
comment on column app_public.upload_request_match.recorded_cost is 'The request''s settled actual cost; null when missing.';
comment on column app_public.upload_request_match.difference is 'uploaded_cost - recorded_cost.';
comment on column app_public.upload_request_match.status is 'matched, cost_differs or missing_in_gateway.';
