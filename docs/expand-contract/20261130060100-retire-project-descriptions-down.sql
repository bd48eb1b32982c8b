-- The column comes back empty: what it held is in the backup taken before the contract ran.
alter table app_public.projects add column description text;
comment on column app_public.projects.description is 'Free-text description of the project.';
grant select (description), insert (description), update (description) on app_public.projects to spendgate_user;
grant insert (description) on app_public.projects to spendgate_admin;
