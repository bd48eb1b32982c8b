-- after: 20261122003400-payment-operations
-- Why: users top up their balance with payments (on-chain or otherwise); the balance may only
-- grow when a payment is actually completed, which an operator (or a payment-watcher running as
-- one) confirms. Amounts are numeric(20,8): exact decimals end to end (GraphQL BigFloat strings).
--
--   record_payment    the caller records a top-up: pending, nothing moves yet
--   complete_payment  operators/admins: pending -> completed; available_balance += amount
--   fail_payment      operators/admins: pending -> failed
--   cancel_payment    operators/admins: pending -> cancelled
--
-- Balances are kept in one unit: every currency is credited 1:1 (conversion is out of scope).
-- Errors: SGANO (not logged in), SGCST (amount missing or not positive), SGTXD (this
-- transaction hash is already recorded on this network), SGOPR (operators only), SGPMT (no such
-- payment), SGTRN (only pending payments can change status).

create or replace function app_public.record_payment(
  amount numeric,
  currency text default 'USD',
  network text default null,
  tx_hash text default null,
  block_number bigint default null
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
  insert into app_public.payments as p (user_id, amount, currency, network, tx_hash, block_number, status)
  values (v_user.user_id, record_payment.amount, coalesce(record_payment.currency, 'USD'),
          record_payment.network, record_payment.tx_hash, record_payment.block_number, 'pending')
  returning * into v_payment;
  return v_payment;
exception when unique_violation then
  raise exception 'transaction % is already recorded on network %', record_payment.tx_hash, coalesce(record_payment.network, '(none)')
    using errcode = 'SGTXD', hint = 'A transaction hash can be recorded once per network.';
end;
$$;
comment on function app_public.record_payment(numeric, text, text, text, bigint) is
  E'@resultFieldName payment\nRecords a top-up payment by the current user, pending until an operator completes it (only then does the balance grow). (network, tx_hash) is unique. Errors: SGANO, SGCST, SGTXD.';

create or replace function app_private.decide_payment(payment_id uuid, to_status app_public.paymentstatus) returns app_public.payments
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_payment app_public.payments;
begin
  if not app_private.caller_is_operator() then
    raise exception 'only operators and admins can move a payment to %', to_status using errcode = 'SGOPR';
  end if;
  select * into v_payment from app_public.payments p
   where p.payment_id = decide_payment.payment_id and p.deleted_at is null
   for no key update;
  if not found then
    raise exception 'payment % not found', decide_payment.payment_id using errcode = 'SGPMT';
  end if;
  if not app_private.payment_transition_allowed(v_payment.status, to_status) then
    raise exception 'cannot move payment % from % to %', v_payment.payment_id, v_payment.status, to_status
      using errcode = 'SGTRN', hint = 'Only pending payments can be completed, failed or cancelled.';
  end if;
  if to_status = 'completed' then
    update app_public.users u set available_balance = u.available_balance + v_payment.amount
     where u.user_id = v_payment.user_id;
  end if;
  update app_public.payments p set status = to_status
   where p.payment_id = v_payment.payment_id
  returning * into v_payment;
  return v_payment;
end;
$$;
comment on function app_private.decide_payment(uuid, app_public.paymentstatus) is
  'Moves a pending payment to completed (crediting the user''s available_balance), failed or cancelled; operators only. Raises SGOPR, SGPMT, SGTRN.';
revoke all on function app_private.decide_payment(uuid, app_public.paymentstatus) from public;

create or replace function app_public.complete_payment(payment_id uuid) returns app_public.payments
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  select * from app_private.decide_payment(payment_id, 'completed');
$$;
comment on function app_public.complete_payment(uuid) is
  E'@resultFieldName payment\nOperators and admins: confirms a pending payment; its amount is added to the user''s available_balance. Errors: SGOPR, SGPMT, SGTRN.';

create or replace function app_public.fail_payment(payment_id uuid) returns app_public.payments
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  select * from app_private.decide_payment(payment_id, 'failed');
$$;
comment on function app_public.fail_payment(uuid) is
  E'@resultFieldName payment\nOperators and admins: marks a pending payment as failed; the balance does not move. Errors: SGOPR, SGPMT, SGTRN.';

create or replace function app_public.cancel_payment(payment_id uuid) returns app_public.payments
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  select * from app_private.decide_payment(payment_id, 'cancelled');
$$;
comment on function app_public.cancel_payment(uuid) is
  E'@resultFieldName payment\nOperators and admins: cancels a pending payment; the balance does not move. Errors: SGOPR, SGPMT, SGTRN.';

do $$
declare
  f text;
begin
  foreach f in array array[
    'app_public.record_payment(numeric, text, text, text, bigint)', 'app_public.complete_payment(uuid)',
    'app_public.fail_payment(uuid)', 'app_public.cancel_payment(uuid)'
  ] loop
    execute format('revoke all on function %s from public', f);
    execute format('grant execute on function %s to spendgate_user, spendgate_operator, spendgate_admin', f);
  end loop;
end
$$;
