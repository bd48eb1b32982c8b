-- Why: a client that retries submitRequest or recordPayment after a network error must not get
-- a second reservation or a second top-up. The client sends an idempotency key; the same caller
-- and key within 24 hours returns the first request or payment (sql/6110-submit-request.sql,
-- sql/6130-payment-operations.sql). The lookup runs under the caller's users row lock, which
-- every submit already takes, so identical calls arriving at once are answered one after the
-- other and only the first reserves. No unique index: a key may be used again after 24 hours.

alter table app_public.requests
  add column idempotency_key text check (char_length(idempotency_key) between 1 and 255);
create index idx_requests_user_id_idempotency_key on app_public.requests (user_id, idempotency_key)
  where idempotency_key is not null;
comment on column app_public.requests.idempotency_key is
  'The key the client sent with submitRequest: the same user and key within 24 hours return this request instead of submitting again (different parameters with the same key are refused with SGIDK).';
grant select (idempotency_key) on app_public.requests to spendgate_user;

alter table app_public.payments
  add column idempotency_key text check (char_length(idempotency_key) between 1 and 255);
create index idx_payments_user_id_idempotency_key on app_public.payments (user_id, idempotency_key)
  where idempotency_key is not null;
comment on column app_public.payments.idempotency_key is
  'The key the client sent with recordPayment: the same user and key within 24 hours return this payment instead of recording another (different values with the same key are refused with SGIDK).';
grant select (idempotency_key) on app_public.payments to spendgate_user;
