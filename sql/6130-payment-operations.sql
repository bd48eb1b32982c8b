-- after: 20261130020400-budget-time-zones
-- Why: users top up their balance with payments (on-chain or otherwise): record_payment records
-- one, pending until an operator completes it (sql/3400-payment-operations.sql). Amounts are
-- numeric(20,8): exact decimals end to end (GraphQL BigFloat strings). Balances are kept in one
-- unit: every currency is credited 1:1 (conversion is out of scope).
--
-- IDEMPOTENT: a client retrying after a network error gets the first payment back, never a
-- second one: the same user's payment with the same (network, tx_hash) is returned when amount,
-- currency and block are the same (another user's, or different values, is SGTXD); without a
-- transaction hash, an idempotency_key sent again within 24 hours returns the payment recorded
-- with it (different values: SGIDK). The caller's users row is locked first, so identical calls
-- arriving at once are answered one after the other.
-- Errors: SGANO (not logged in), SGCST (amount missing or not positive), SGTXD (this transaction
-- hash is already recorded on this network), SGIDK (key already used for a different payment).

create or replace function app_public.record_payment(
  amount numeric,
  currency text default 'USD',
  network text default null,
  tx_hash text default null,
  block_number bigint default null,
  idempotency_key text default null
) returns app_public.payments
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_user app_public.users := app_private.lock_caller();
  v_payment app_public.payments;
begin
  if record_payment.amount is null or record_payment.amount <= 0 then
    raise exception 'amount must be a number > 0 (got %)', coalesce(record_payment.amount::text, 'null')
      using errcode = 'SGCST';
  end if;
  select * into v_payment from app_public.payments p
   where p.user_id = v_user.user_id
     and ((record_payment.tx_hash is not null and p.tx_hash = record_payment.tx_hash and p.network is not distinct from record_payment.network)
          or (record_payment.idempotency_key is not null and p.idempotency_key = record_payment.idempotency_key
              and p.created_at > now() - interval '24 hours'))
   order by p.created_at desc
   limit 1;
  if found then
    if (v_payment.amount, v_payment.currency, v_payment.network, v_payment.tx_hash, v_payment.block_number)
       is not distinct from
       (record_payment.amount::numeric(20,8), coalesce(record_payment.currency, 'USD'), record_payment.network,
        record_payment.tx_hash, record_payment.block_number) then
      return v_payment;
    end if;
    if record_payment.idempotency_key is not null and v_payment.idempotency_key = record_payment.idempotency_key then
      raise exception 'idempotency key % was used for a different payment (%) in the last 24 hours', record_payment.idempotency_key, v_payment.payment_id
        using errcode = 'SGIDK', hint = 'Send a new key for a new payment; a retry must repeat the first call exactly.';
    end if;
  end if;
  insert into app_public.payments as p (user_id, amount, currency, network, tx_hash, block_number, status, idempotency_key)
  values (v_user.user_id, record_payment.amount, coalesce(record_payment.currency, 'USD'),
          record_payment.network, record_payment.tx_hash, record_payment.block_number, 'pending', record_payment.idempotency_key)
  returning * into v_payment;
  return v_payment;
exception when unique_violation then
  raise exception 'transaction % is already recorded on network %', record_payment.tx_hash, coalesce(record_payment.network, '(none)')
    using errcode = 'SGTXD', hint = 'A transaction hash can be recorded once per network.';
end;
$$;
comment on function app_public.record_payment(numeric, text, text, text, bigint, text) is
  E'@resultFieldName payment\nRecords a top-up payment by the current user, pending until an operator completes it (only then does the balance grow). (network, tx_hash) is unique. Idempotent: the same call again (same transaction hash and values, or the same idempotency_key within 24 hours) returns the first payment. Errors: SGANO, SGCST, SGTXD, SGIDK.';

revoke all on function app_public.record_payment(numeric, text, text, text, bigint, text) from public;
grant execute on function app_public.record_payment(numeric, text, text, text, bigint, text) to spendgate_user, spendgate_operator, spendgate_admin;
