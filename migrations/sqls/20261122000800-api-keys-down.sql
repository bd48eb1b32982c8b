drop table app_public.api_keys;
