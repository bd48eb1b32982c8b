drop function app_private.viewing_deleted();
drop function app_private.current_role_is_api();
drop function app_private.current_role_is_operator();
drop function app_private.current_role_is_admin();
drop function app_public.current_user_id();
