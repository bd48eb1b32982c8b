drop function app_public.logout();
drop function app_private.rotate_session(text, text, interval);
drop type app_private.rotation_outcome;
drop function app_private.create_session(uuid, text, interval, uuid);
