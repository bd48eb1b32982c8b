-- after: 20261122000700-projects
-- Why: the triggers of projects, and the ownership check every table with user_id and project_id attaches.

create or replace trigger _100_timestamps before insert or update on app_public.projects
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.projects
  for each row execute function app_private.tg__soft_delete_guard('project_id');

-- Shared by every table with both user_id and project_id: the project must belong to the same
-- user. SECURITY DEFINER so that it sees the project whatever the caller may see; it only reads.
create or replace function app_private.tg__project_owner_matches() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  if new.project_id is not null and not exists (
    select from app_public.projects p
    where p.project_id = new.project_id and p.user_id = new.user_id
  ) then
    raise exception 'project % does not belong to user %', new.project_id, new.user_id
      using errcode = 'SGPRJ',
            hint = 'Use one of the user''s own projects, or no project.';
  end if;
  return new;
end;
$$;
comment on function app_private.tg__project_owner_matches() is
  'Trigger (before insert or update of project_id, user_id): the referenced project must belong to the row''s user (SQLSTATE SGPRJ otherwise).';
revoke all on function app_private.tg__project_owner_matches() from public;
