drop table app_public.sessions;
