-- Why: seed 000's payments: money a user paid (on-chain or otherwise), optionally for one
-- request. Written by the gateway's own operations; users read theirs, operators read all.
-- ON DELETE RESTRICT (seed 001): payment history is never lost by deleting a user or request.

create table app_public.payments (
  payment_id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (user_id) on delete restrict,
  request_id uuid references app_public.requests (request_id) on delete restrict,
  amount numeric(20,8) not null check (amount > 0),
  currency text not null default 'USD' check (currency ~ '^[A-Z][A-Z0-9]{2,9}$'),
  network text,
  tx_hash text,
  block_number bigint check (block_number >= 0),
  status app_public.paymentstatus not null default 'pending',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
create index idx_payments_user_id on app_public.payments (user_id);
create index idx_payments_request_id on app_public.payments (request_id);
create index idx_payments_status on app_public.payments (status);
create index idx_payments_created_at on app_public.payments (created_at);
create index idx_payments_currency on app_public.payments (currency);
-- A transaction is recorded once per network.
create unique index idx_payments_network_tx_hash on app_public.payments (network, tx_hash)
  nulls not distinct where tx_hash is not null;

comment on table app_public.payments is E'@behavior -insert\nA payment made by a user, optionally for one request; on-chain payments carry network, transaction hash and block.';
comment on column app_public.payments.payment_id is 'Unique identifier of the payment.';
comment on column app_public.payments.user_id is 'The user who paid.';
comment on column app_public.payments.request_id is 'The request the payment is for, if any.';
comment on column app_public.payments.amount is 'Amount paid, in currency; always positive.';
comment on column app_public.payments.currency is 'Currency or token code in capitals, e.g. USD, EUR, USDC.';
comment on column app_public.payments.network is 'Payment network or chain, e.g. base, ethereum, card.';
comment on column app_public.payments.tx_hash is 'Transaction hash on the network; unique per network.';
comment on column app_public.payments.block_number is 'Block the transaction was included in.';
comment on column app_public.payments.status is 'Settlement state (pending, completed, failed, cancelled).';
comment on column app_public.payments.created_at is 'When the payment was recorded.';
comment on column app_public.payments.updated_at is 'When the payment was last changed.';
comment on column app_public.payments.deleted_at is 'When the payment was soft-deleted by an admin; null otherwise.';

alter table app_public.payments enable row level security;
create policy hide_deleted on app_public.payments as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.payments for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.payments for select to spendgate_operator
  using (true);
create policy admin_all on app_public.payments for all to spendgate_admin
  using (true) with check (true);

grant select (payment_id, user_id, request_id, amount, currency, network, tx_hash, block_number,
  status, created_at, updated_at, deleted_at) on app_public.payments to spendgate_user;
grant update (status, network, tx_hash, block_number, deleted_at) on app_public.payments to spendgate_admin;
