-- after: 20261122001900-persona-history
-- Why: the shared triggers of persona_history (CONVENTIONS.md, "Every table").

create or replace trigger _100_timestamps before insert or update on app_public.persona_history
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.persona_history
  for each row execute function app_private.tg__soft_delete_guard('history_id');
