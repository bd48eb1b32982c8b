drop table app_public.api_keys;
drop function app_private.tg_api_keys__revocation();
