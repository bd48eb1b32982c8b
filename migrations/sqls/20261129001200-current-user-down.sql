drop function app_public."current_user"();
