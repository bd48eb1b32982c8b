alter table app_public.sessions drop column legacy;
alter table app_public.ai_jobs drop column legacy;
alter table app_public.projects drop column legacy;
alter table app_public.users drop column legacy;
