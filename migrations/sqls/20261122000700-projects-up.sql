-- Why: seed 004's projects (referenced by project_id in seed 000). A project belongs to one user;
-- budgets, policies, requests and AI jobs may be scoped to it. Users manage their own projects.

create table app_public.projects (
  project_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default app_public.current_user_id()
    references app_public.users (user_id) on delete cascade,
  name text not null check (name <> ''),
  description text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index idx_projects_user_id on app_public.projects (user_id);
-- A name can be reused once the project holding it was soft-deleted.
create unique index idx_projects_user_id_name on app_public.projects (user_id, name) where deleted_at is null;

comment on table app_public.projects is 'A project of a user: the scope budgets, policies, requests and AI jobs can be attached to.';
comment on column app_public.projects.project_id is 'Unique identifier of the project.';
comment on column app_public.projects.user_id is 'The user who owns the project (defaults to the current user).';
comment on column app_public.projects.name is 'Name of the project, unique among the owner''s live projects.';
comment on column app_public.projects.description is 'Free-text description of the project.';
comment on column app_public.projects.created_at is 'When the project was created.';
comment on column app_public.projects.updated_at is 'When the project was last changed.';
comment on column app_public.projects.deleted_at is 'When the project was soft-deleted; null while it exists.';

alter table app_public.projects enable row level security;
create policy hide_deleted on app_public.projects as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.projects for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy insert_own on app_public.projects for insert to spendgate_user
  with check (user_id = (select app_public.current_user_id()));
create policy update_own on app_public.projects for update to spendgate_user
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.projects for select to spendgate_operator
  using (true);
create policy admin_all on app_public.projects for all to spendgate_admin
  using (true) with check (true);

grant select (project_id, user_id, name, description, created_at, updated_at, deleted_at)
  on app_public.projects to spendgate_user;
grant insert (name, description) on app_public.projects to spendgate_user;
grant update (name, description, deleted_at) on app_public.projects to spendgate_user;
grant insert (user_id, name, description) on app_public.projects to spendgate_admin;
