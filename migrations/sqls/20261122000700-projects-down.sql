drop table app_public.projects;
