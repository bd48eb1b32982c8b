-- after: 20261130020400-budget-time-zones
-- Why: after submitRequest a request moves through its life cycle, and each move must put the
-- reserved money where it belongs (ledger: 20261122003000). approve_request and start_request,
-- which move no money, and lock_request_for are in sql/3300-request-lifecycle.sql.
--
--   reject_request    pending -> rejected     operators/admins; releases it
--   complete_request  approved|executing -> executed   owner or operator; SETTLES: the
--                     reservation is replaced by actual_cost in the budgets that held it (refund
--                     or extra charge; counters never below 0) and the user's
--                     available_balance, total_spending, total_requests, last_request_at move
--   fail_request      approved|executing -> failed     owner or operator; releases it
--   cancel_request    pending|approved|executing -> cancelled   owner or operator; releases it
--
-- A request whose hold expired (cancelled, reason hold_expired: sql/6150-hold-expiry.sql) holds
-- nothing any more, but its agent may have made the call anyway: complete_request still records
-- actual_cost and charges it to the budgets and the balance (status executed, the reason stays
-- hold_expired), and fail_request marks it failed. Either sets over_limit when the charge pushed
-- a budget past its daily or monthly limit or cost more than the balance had left, and records
-- that uncovered part in uncovered_cost: nothing is lost and nothing is hidden.
--
-- The charge of complete_request is taken from available_balance down to 0 at most: the
-- provider has already been paid, so an actual cost above what is left cannot be refused; the
-- overrun still counts fully in total_spending and in the budget counters (which is what blocks
-- further requests), and the part the balance did not cover is kept in requests.uncovered_cost.
--
-- Every move is idempotent (sql/3300-request-lifecycle.sql): the same call again returns the
-- request as the first left it; complete_request with another actual cost is refused (SGTRN).
--
-- Locks: the request row, then (as in submit_request) the owner's users row, then the budgets
-- in id order. Errors: SGRNF (no such request, or not yours), SGOPR (operators only), SGTRN
-- (invalid transition, naming both statuses), SGCST (actual cost missing or negative).

-- Replaces what the request still holds by `charge` (0 = release) in the budgets listed in its
-- reserved_budget_ids and in the owner's balance. A request holds its reserved_cost while it is
-- pending, approved or executing, and nothing once its hold expired: a late charge then only adds.
-- over_limit: the charge went beyond the hold and left a budget above its daily or monthly limit,
-- or beyond what the balance had; uncovered: the part of the charge the balance did not have.
create or replace function app_private.settle_hold(r app_public.requests, charge numeric,
  out over_limit boolean, out uncovered numeric)
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_held numeric := case when r.status in ('pending', 'approved', 'executing') then r.reserved_cost else 0 end;
  v_balance numeric;
begin
  select u.available_balance into v_balance from app_public.users u where u.user_id = r.user_id for no key update;
  perform from app_public.budgets b where b.id = any (r.reserved_budget_ids) order by b.id for no key update;
  perform app_private.roll_over_budgets(r.reserved_budget_ids, now());
  update app_public.budgets b set
    current_daily_spending = greatest(b.current_daily_spending - v_held + charge, 0),
    current_monthly_spending = greatest(b.current_monthly_spending - v_held + charge, 0),
    reserved_spending = greatest(b.reserved_spending - v_held, 0)
   where b.id = any (r.reserved_budget_ids);
  update app_public.users u set
    reserved_balance = greatest(u.reserved_balance - v_held, 0),
    available_balance = greatest(u.available_balance - charge, 0)
   where u.user_id = r.user_id;
  uncovered := greatest(charge - v_balance, 0);
  over_limit := uncovered > 0 or (charge > v_held and exists (
    select from app_public.budgets b
     where b.id = any (r.reserved_budget_ids)
       and (b.current_daily_spending > b.daily_limit or b.current_monthly_spending > b.monthly_limit)));
end;
$$;
comment on function app_private.settle_hold(app_public.requests, numeric) is
  'Replaces what a request still holds (its reserved_cost while outstanding, nothing after its hold expired) by `charge` (0 releases it) in the budgets listed in reserved_budget_ids and in the owner''s balance; counters never go below 0. Returns over_limit (the charge pushed a budget past a limit, or exceeded the balance) and uncovered (the part the balance did not cover).';
revoke all on function app_private.settle_hold(app_public.requests, numeric) from public;

create or replace function app_public.reject_request(request_id uuid, reason text default null) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests := app_private.lock_request_for(reject_request.request_id, 'rejected', true);
begin
  if v_request.status = 'rejected' then
    return v_request;
  end if;
  perform app_private.settle_hold(v_request, 0);
  update app_public.requests r set
    status = 'rejected', reason = coalesce(nullif(reject_request.reason, ''), 'rejected_by_operator'),
    decided_by = app_public.current_user_id(), decided_at = now()
   where r.request_id = v_request.request_id
  returning * into v_request;
  return v_request;
end;
$$;
comment on function app_public.reject_request(uuid, text) is
  E'@resultFieldName request\nOperators and admins: rejects a pending request with a reason (default rejected_by_operator) and releases its reservation. Idempotent: a rejected request is returned as it is. Errors: SGOPR, SGRNF, SGTRN.';

create or replace function app_public.complete_request(request_id uuid, actual_cost numeric) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests;
  v_settled record;
begin
  if complete_request.actual_cost is null or complete_request.actual_cost < 0 then
    raise exception 'actual_cost must be a number >= 0 (got %)', coalesce(complete_request.actual_cost::text, 'null')
      using errcode = 'SGCST';
  end if;
  v_request := app_private.lock_request_for(complete_request.request_id, 'executed', false);
  if v_request.status = 'executed' then
    if v_request.actual_cost = complete_request.actual_cost::numeric(20,8) then
      return v_request;
    end if;
    raise exception 'cannot move request % from executed to executed', v_request.request_id
      using errcode = 'SGTRN', hint = pg_catalog.format('It was completed with actual cost %s; repeat that call to read it.', v_request.actual_cost);
  end if;
  v_settled := app_private.settle_hold(v_request, complete_request.actual_cost);
  update app_public.users u set
    total_spending = u.total_spending + complete_request.actual_cost,
    total_requests = u.total_requests + 1,
    last_request_at = now()
   where u.user_id = v_request.user_id;
  update app_public.requests r set status = 'executed', actual_cost = complete_request.actual_cost, finished_at = now(),
    over_limit = v_settled.over_limit, uncovered_cost = v_settled.uncovered
   where r.request_id = v_request.request_id
  returning * into v_request;
  return v_request;
end;
$$;
comment on function app_public.complete_request(uuid, numeric) is
  E'@resultFieldName request\nThe request''s owner or an operator: marks an approved or executing request (or one whose hold expired) as executed and settles it: the reservation is replaced by actual_cost in the budgets and the balance (refunding or charging the difference), and total_spending, total_requests, last_request_at are updated. overLimit tells when the charge pushed a budget past a limit or exceeded the balance. Idempotent: completing again with the same actual cost returns the request as it is; another cost is SGTRN. Errors: SGCST, SGRNF, SGTRN.';

-- failed and cancelled end a request the same way: release the whole reservation.
create or replace function app_private.end_request_unsettled(request_id uuid, to_status app_public.requeststatus) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests := app_private.lock_request_for(end_request_unsettled.request_id, to_status, false);
begin
  if v_request.status = to_status then
    return v_request;
  end if;
  perform app_private.settle_hold(v_request, 0);
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
  E'@resultFieldName request\nThe request''s owner or an operator: marks an approved or executing request (or one whose hold expired) as failed and releases its reservation. Idempotent: a failed request is returned as it is. Errors: SGRNF, SGTRN.';

create or replace function app_public.cancel_request(request_id uuid) returns app_public.requests
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  select app_private.end_request_unsettled(request_id, 'cancelled');
$$;
comment on function app_public.cancel_request(uuid) is
  E'@resultFieldName request\nThe request''s owner or an operator: cancels a pending, approved or executing request and releases its reservation. Idempotent: a cancelled request (also one whose hold expired) is returned as it is. Errors: SGRNF, SGTRN.';

do $$
declare
  f text;
begin
  foreach f in array array[
    'app_public.reject_request(uuid, text)', 'app_public.complete_request(uuid, numeric)',
    'app_public.fail_request(uuid)', 'app_public.cancel_request(uuid)'
  ] loop
    execute format('revoke all on function %s from public', f);
    execute format('grant execute on function %s to spendgate_user, spendgate_operator, spendgate_admin', f);
  end loop;
end
$$;
