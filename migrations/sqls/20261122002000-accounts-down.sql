drop function app_private.login(text, text);
drop function app_private.register_user(text, text);
drop function app_private.assert_password_acceptable(text);
