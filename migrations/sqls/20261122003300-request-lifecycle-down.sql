drop function app_public.cancel_request(uuid);
drop function app_public.fail_request(uuid);
drop function app_private.end_request_unsettled(uuid, app_public.requeststatus);
drop function app_public.complete_request(uuid, numeric);
drop function app_public.start_request(uuid);
drop function app_public.reject_request(uuid, text);
drop function app_public.approve_request(uuid);
drop function app_private.settle_reservation(app_public.requests, numeric);
drop function app_private.lock_request_for(uuid, app_public.requeststatus, boolean);
