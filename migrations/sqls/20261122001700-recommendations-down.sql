drop table app_public.recommendations;
