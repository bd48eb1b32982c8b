drop function app_private.tg__project_owner_matches();
drop table app_public.projects;
