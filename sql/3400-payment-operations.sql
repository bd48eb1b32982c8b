-- after: 20261122003400-payment-operations
-- Why: users top up their balance with payments (recorded by record_payment,
-- sql/6130-payment-operations.sql); the balance may only grow when a payment is actually
-- completed, which an operator (or a payment-watcher running as one) confirms.
--
--   complete_payment  operators/admins: pending -> completed; available_balance += amount
--   fail_payment      operators/admins: pending -> failed
--   cancel_payment    operators/admins: pending -> cancelled
--
-- Idempotent: a payment already in the status asked for is returned as it is (the balance is
-- credited once). Errors: SGOPR (operators only), SGPMT (no such payment), SGTRN (only pending
-- payments can change status).

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
  if v_payment.status = to_status then
    return v_payment;
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
  'Moves a pending payment to completed (crediting the user''s available_balance), failed or cancelled; operators only. A payment already in that status is returned as it is. Raises SGOPR, SGPMT, SGTRN.';
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
    'app_public.complete_payment(uuid)', 'app_public.fail_payment(uuid)', 'app_public.cancel_payment(uuid)'
  ] loop
    execute format('revoke all on function %s from public', f);
    execute format('grant execute on function %s to spendgate_user, spendgate_operator, spendgate_admin', f);
  end loop;
end
$$;
