drop function app_public.submit_request(uuid, text, text, text, text, jsonb, numeric);
drop function app_private.lock_caller();
drop function app_private.caller_is_operator();
