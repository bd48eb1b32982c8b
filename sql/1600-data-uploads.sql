-- after: 20261122001600-data-uploads
-- Why: the shared triggers of data_uploads (CONVENTIONS.md, "Every table").

create or replace trigger _100_timestamps before insert or update on app_public.data_uploads
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.data_uploads
  for each row execute function app_private.tg__soft_delete_guard('upload_id');
