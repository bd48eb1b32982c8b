-- after: 20261122000600-users
-- Why: the shared timestamp and soft-delete triggers of users (CONVENTIONS.md, "Every table").

create or replace trigger _100_timestamps before insert or update on app_public.users
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.users
  for each row execute function app_private.tg__soft_delete_guard('user_id');
