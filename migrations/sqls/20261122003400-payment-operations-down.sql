drop function app_public.cancel_payment(uuid);
drop function app_public.fail_payment(uuid);
drop function app_public.complete_payment(uuid);
drop function app_private.decide_payment(uuid, app_public.paymentstatus);
drop function app_public.record_payment(numeric, text, text, text, bigint);
