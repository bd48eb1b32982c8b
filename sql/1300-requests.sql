-- after: 20261122001300-requests
-- Why: the shared triggers of requests (CONVENTIONS.md, "Every table").

create or replace trigger _100_timestamps before insert or update on app_public.requests
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.requests
  for each row execute function app_private.tg__soft_delete_guard('request_id');
create or replace trigger _300_project_owner before insert or update of project_id, user_id on app_public.requests
  for each row execute function app_private.tg__project_owner_matches();
