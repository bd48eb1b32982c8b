drop table app_public.requests;
