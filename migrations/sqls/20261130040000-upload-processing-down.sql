drop type app_public.upload_request_match;
drop type app_public.upload_reconciliation_line;
drop type app_public.reconciliation_status;
drop table app_public.upload_transactions;
drop index app_public.idx_data_uploads_status_created_at;
revoke select (row_count, valid_row_count, error_count, failure_reason, object_removed_at) on app_public.data_uploads from spendgate_user;
alter table app_public.data_uploads
  drop constraint data_uploads_validation_errors_is_array,
  drop column object_removed_at,
  drop column failure_reason,
  drop column error_count,
  drop column valid_row_count,
  drop column row_count;
