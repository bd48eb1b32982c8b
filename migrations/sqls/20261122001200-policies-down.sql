drop table app_public.policies;
