alter table app_public.payments drop column idempotency_key;
alter table app_public.requests drop column idempotency_key;
