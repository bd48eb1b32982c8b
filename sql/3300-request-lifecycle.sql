-- after: 20261122003300-request-lifecycle
-- Why: after submitRequest a request moves through its life cycle; the moves that settle or
-- release money are in sql/6120-request-lifecycle.sql, the ones here move no money:
--
--   approve_request   pending -> approved     operators/admins; keeps the reservation
--   start_request     approved -> executing   the request's owner or an operator
--
-- lock_request_for is the first step of every move: it locks the request (the first lock of the
-- lifecycle's order: request, owner's users row, budgets in id order) and checks who may make
-- the move. Errors: SGRNF (no such request, or not yours), SGOPR (operators only), SGTRN
-- (invalid transition, naming both statuses).
--
-- IDEMPOTENT: a request already in the status a move leads to is returned as it is (a client
-- retrying after a network error gets the same answer, and nothing moves twice); each move
-- decides whether the repeated call conflicts with the first (complete_request: another cost).

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
  if v_request.status <> to_status and not app_private.request_transition_allowed(v_request.status, to_status, v_request.reason) then
    raise exception 'cannot move request % from % to %', v_request.request_id, v_request.status, to_status
      using errcode = 'SGTRN',
            hint = 'pending -> approved/rejected/cancelled, approved -> executing/executed/failed/cancelled, executing -> executed/failed/cancelled, cancelled (hold_expired) -> executed/failed.';
  end if;
  return v_request;
end;
$$;
comment on function app_private.lock_request_for(uuid, app_public.requeststatus, boolean) is
  'Locks a live request and checks that the caller (its owner, or an operator) may move it to to_status, or that it is there already (a repeated call: the caller returns it); raises SGOPR, SGRNF or SGTRN.';
revoke all on function app_private.lock_request_for(uuid, app_public.requeststatus, boolean) from public;

create or replace function app_public.approve_request(request_id uuid) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests := app_private.lock_request_for(approve_request.request_id, 'approved', true);
begin
  if v_request.status = 'approved' then
    return v_request;
  end if;
  update app_public.requests r set status = 'approved', decided_by = app_public.current_user_id(), decided_at = now()
   where r.request_id = v_request.request_id
  returning * into v_request;
  return v_request;
end;
$$;
comment on function app_public.approve_request(uuid) is
  E'@resultFieldName request\nOperators and admins: approves a pending request; its reservation is kept. Idempotent: an approved request is returned as it is. Errors: SGOPR, SGRNF, SGTRN.';

create or replace function app_public.start_request(request_id uuid) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_request app_public.requests := app_private.lock_request_for(start_request.request_id, 'executing', false);
begin
  if v_request.status = 'executing' then
    return v_request;
  end if;
  update app_public.requests r set status = 'executing'
   where r.request_id = v_request.request_id
  returning * into v_request;
  return v_request;
end;
$$;
comment on function app_public.start_request(uuid) is
  E'@resultFieldName request\nThe request''s owner or an operator: marks an approved request as executing. Idempotent: an executing request is returned as it is. Errors: SGRNF, SGTRN.';

do $$
declare
  f text;
begin
  foreach f in array array['app_public.approve_request(uuid)', 'app_public.start_request(uuid)'] loop
    execute format('revoke all on function %s from public', f);
    execute format('grant execute on function %s to spendgate_user, spendgate_operator, spendgate_admin', f);
  end loop;
end
$$;
