-- after: 20261122003300-request-lifecycle
-- Why: after submitRequest a request moves through its life cycle, and each move must put the
-- reserved money where it belongs (ledger: 20261122003000):
--
--   approve_request   pending -> approved     operators/admins; keeps the reservation
--   reject_request    pending -> rejected     operators/admins; releases it
--   start_request     approved -> executing   the request's owner or an operator; no money moves
--   complete_request  approved|executing -> executed   owner or operator; SETTLES: the
--                     reservation is replaced by actual_cost in the budgets that held it (refund
--                     or extra charge; counters never below 0) and the user's
--                     available_balance, total_spending, total_requests, last_request_at move
--   fail_request      approved|executing -> failed     owner or operator; releases it
--   cancel_request    pending|approved|executing -> cancelled   owner or operator; releases it
--
-- The charge of complete_request is taken from available_balance down to 0 at most: the
-- provider has already been paid, so an actual cost above what is left cannot be refused; the
-- overrun still counts fully in total_spending and in the budget counters (which is what blocks
-- further requests).
--
-- Locks: the request row, then (as in submit_request) the owner's users row, then the budgets
-- in id order. Errors: SGRNF (no such request, or not yours), SGOPR (operators only), SGTRN
-- (invalid transition, naming both statuses), SGCST (actual cost missing or negative).

-- Locks the request and checks that the caller may move it to `to_status` from its current one.
create or replace function app_private.lock_request_for(request_id uuid, to_status app_public.requeststatus, operators_only boolean)
  returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests;
  v_is_operator boolean := app_private.caller_is_operator();
begin
  if operators_only and not v_is_operator then
    raise exception 'only operators and admins can move a request to %', to_status
      using errcode = 'SGOPR';
  end if;
  select * into v_request from app_public.requests r
   where r.request_id = lock_request_for.request_id and r.deleted_at is null
   for no key update;
  if not found or not (v_is_operator or v_request.user_id = app_public.current_user_id()) then
    raise exception 'request % not found', lock_request_for.request_id using errcode = 'SGRNF';
  end if;
  if not app_private.request_transition_allowed(v_request.status, to_status) then
    raise exception 'cannot move request % from % to %', v_request.request_id, v_request.status, to_status
      using errcode = 'SGTRN',
            hint = 'pending -> approved/rejected/cancelled, approved -> executing/executed/failed/cancelled, executing -> executed/failed/cancelled.';
  end if;
  return v_request;
end;
$$;
comment on function app_private.lock_request_for(uuid, app_public.requeststatus, boolean) is
  'Locks a live request and checks that the caller (its owner, or an operator) may move it to to_status; raises SGOPR, SGRNF or SGTRN.';
revoke all on function app_private.lock_request_for(uuid, app_public.requeststatus, boolean) from public;

-- Replaces the request's outstanding reservation by `charge` (0 = release) in the budgets that
-- hold it and in the owner's balance. Only for a request whose reservation is outstanding.
create or replace function app_private.settle_reservation(r app_public.requests, charge numeric) returns void
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  perform from app_public.users u where u.user_id = r.user_id for no key update;
  perform from app_public.budgets b where b.id = any (r.reserved_budget_ids) order by b.id for no key update;
  perform app_private.roll_over_budgets(r.reserved_budget_ids, now());
  update app_public.budgets b set
    current_daily_spending = greatest(b.current_daily_spending - r.reserved_cost + charge, 0),
    current_monthly_spending = greatest(b.current_monthly_spending - r.reserved_cost + charge, 0),
    reserved_spending = greatest(b.reserved_spending - r.reserved_cost, 0)
   where b.id = any (r.reserved_budget_ids);
  update app_public.users u set
    reserved_balance = greatest(u.reserved_balance - r.reserved_cost, 0),
    available_balance = greatest(u.available_balance - charge, 0)
   where u.user_id = r.user_id;
end;
$$;
comment on function app_private.settle_reservation(app_public.requests, numeric) is
  'Replaces a request''s outstanding reservation by `charge` (0 releases it) in the budgets listed in reserved_budget_ids and in the owner''s balance; counters never go below 0.';
revoke all on function app_private.settle_reservation(app_public.requests, numeric) from public;

create or replace function app_public.approve_request(request_id uuid) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests := app_private.lock_request_for(approve_request.request_id, 'approved', true);
begin
  update app_public.requests r set status = 'approved', decided_by = app_public.current_user_id(), decided_at = now()
   where r.request_id = v_request.request_id
  returning * into v_request;
  return v_request;
end;
$$;
comment on function app_public.approve_request(uuid) is
  E'@resultFieldName request\nOperators and admins: approves a pending request; its reservation is kept. Errors: SGOPR, SGRNF, SGTRN.';

create or replace function app_public.reject_request(request_id uuid, reason text default null) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests := app_private.lock_request_for(reject_request.request_id, 'rejected', true);
begin
  perform app_private.settle_reservation(v_request, 0);
  update app_public.requests r set
    status = 'rejected', reason = coalesce(nullif(reject_request.reason, ''), 'rejected_by_operator'),
    decided_by = app_public.current_user_id(), decided_at = now()
   where r.request_id = v_request.request_id
  returning * into v_request;
  return v_request;
end;
$$;
comment on function app_public.reject_request(uuid, text) is
  E'@resultFieldName request\nOperators and admins: rejects a pending request with a reason (default rejected_by_operator) and releases its reservation. Errors: SGOPR, SGRNF, SGTRN.';

create or replace function app_public.start_request(request_id uuid) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests := app_private.lock_request_for(start_request.request_id, 'executing', false);
begin
  update app_public.requests r set status = 'executing'
   where r.request_id = v_request.request_id
  returning * into v_request;
  return v_request;
end;
$$;
comment on function app_public.start_request(uuid) is
  E'@resultFieldName request\nThe request''s owner or an operator: marks an approved request as executing. Errors: SGRNF, SGTRN.';

create or replace function app_public.complete_request(request_id uuid, actual_cost numeric) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests;
begin
  if complete_request.actual_cost is null or complete_request.actual_cost < 0 then
    raise exception 'actual_cost must be a number >= 0 (got %)', coalesce(complete_request.actual_cost::text, 'null')
      using errcode = 'SGCST';
  end if;
  v_request := app_private.lock_request_for(complete_request.request_id, 'executed', false);
  perform app_private.settle_reservation(v_request, complete_request.actual_cost);
  update app_public.users u set
    total_spending = u.total_spending + complete_request.actual_cost,
    total_requests = u.total_requests + 1,
    last_request_at = now()
   where u.user_id = v_request.user_id;
  update app_public.requests r set status = 'executed', actual_cost = complete_request.actual_cost, finished_at = now()
   where r.request_id = v_request.request_id
  returning * into v_request;
  return v_request;
end;
$$;
comment on function app_public.complete_request(uuid, numeric) is
  E'@resultFieldName request\nThe request''s owner or an operator: marks an approved or executing request as executed and settles it: the reservation is replaced by actual_cost in the budgets and the balance (refunding or charging the difference), and total_spending, total_requests, last_request_at are updated. Errors: SGCST, SGRNF, SGTRN.';

-- failed and cancelled end a request the same way: release the whole reservation.
create or replace function app_private.end_request_unsettled(request_id uuid, to_status app_public.requeststatus) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests := app_private.lock_request_for(end_request_unsettled.request_id, to_status, false);
begin
  perform app_private.settle_reservation(v_request, 0);
  update app_public.requests r set status = to_status, finished_at = now()
   where r.request_id = v_request.request_id
  returning * into v_request;
  return v_request;
end;
$$;
comment on function app_private.end_request_unsettled(uuid, app_public.requeststatus) is
  'Moves a request to failed or cancelled (checked by lock_request_for) and releases its whole reservation.';
revoke all on function app_private.end_request_unsettled(uuid, app_public.requeststatus) from public;

create or replace function app_public.fail_request(request_id uuid) returns app_public.requests
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  select app_private.end_request_unsettled(request_id, 'failed');
$$;
comment on function app_public.fail_request(uuid) is
  E'@resultFieldName request\nThe request''s owner or an operator: marks an approved or executing request as failed and releases its reservation. Errors: SGRNF, SGTRN.';

create or replace function app_public.cancel_request(request_id uuid) returns app_public.requests
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  select app_private.end_request_unsettled(request_id, 'cancelled');
$$;
comment on function app_public.cancel_request(uuid) is
  E'@resultFieldName request\nThe request''s owner or an operator: cancels a pending, approved or executing request and releases its reservation. Errors: SGRNF, SGTRN.';

do $$
declare
  f text;
begin
  foreach f in array array[
    'app_public.approve_request(uuid)', 'app_public.reject_request(uuid, text)', 'app_public.start_request(uuid)',
    'app_public.complete_request(uuid, numeric)', 'app_public.fail_request(uuid)', 'app_public.cancel_request(uuid)'
  ] loop
    execute format('revoke all on function %s from public', f);
    execute format('grant execute on function %s to spendgate_user, spendgate_operator, spendgate_admin', f);
  end loop;
end
$$;
