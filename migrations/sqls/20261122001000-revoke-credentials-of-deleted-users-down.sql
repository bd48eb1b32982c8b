drop trigger _500_revoke_credentials on app_public.users;
drop function app_private.tg_users__revoke_credentials();
