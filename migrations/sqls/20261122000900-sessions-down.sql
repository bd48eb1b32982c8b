drop table app_public.sessions;
drop function app_private.tg_sessions__revocation();
