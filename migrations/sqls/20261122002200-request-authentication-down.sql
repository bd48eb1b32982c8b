drop function app_private.create_api_key(text, text, text);
drop function app_private.record_api_key_usage(bigint[], bigint[], timestamptz[]);
drop function app_private.authenticate_api_key(text);
drop function app_private.authenticate_user(uuid, uuid);
revoke usage on schema app_private from spendgate_authenticator;
