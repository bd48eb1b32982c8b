-- after: 20261130020400-budget-time-zones
-- Why: the job Spendgate exists for. An agent asks to make a paid call; in ONE transaction the
-- database checks policy and budget and reserves the estimated cost, so that no number of
-- concurrent calls can spend past a limit (seed 000; SPEC "submitRequest").
--
-- CONCURRENCY: every call locks, in this fixed order, the caller's users row and then the live
-- budgets that apply (the project's, the user-wide one, and those of the API key the call came
-- with, each for the project or user-wide), ordered by id, with FOR NO KEY UPDATE
-- (enough to serialise writers, and it does not block foreign-key checks of other tables that
-- reference the user). Concurrent calls of one user therefore run their checks one after the
-- other, each seeing the reservations of those before it; calls of different users do not wait
-- for each other. The lifecycle functions take the same locks in the same order; reset_budgets
-- locks budgets in id order without the user row, so no lock cycle is possible.
--
-- CHECKS, in order (the first that fails decides):
--   errors (SQLSTATE, nothing recorded):
--     SGANO  no authenticated, live user
--     SGCST  estimated_cost is null or negative
--     SGPRJ  the project does not exist, is deleted or is not the caller's
--     SGHLD  hold_seconds is given and not a positive number of seconds
--     SGIDK  idempotency_key was used by this user in the last 24 hours for a different request
--   rejections (a request row is recorded with status rejected and this reason, reserving nothing):
--     account_inactive            users.account_status is not active
--     provider_not_allowed        policy.allowed_providers is non-empty and lacks api_provider
--     model_not_allowed           policy.allowed_models is non-empty and lacks model_name
--     operation_forbidden         endpoint is listed in policy.forbidden_operations (prefix* matches)
--     rate_limited                policy.rate_limits: requests_per_minute / requests_per_hour in the
--                                 policy's scope, agent_requests_per_minute / _per_hour per agent_id
--     per_request_limit_exceeded  estimated_cost > per_request_limit of an applying budget
--     budget_daily_exceeded       current_daily_spending + estimated_cost > daily_limit
--     budget_monthly_exceeded     current_monthly_spending + estimated_cost > monthly_limit
--     insufficient_balance        estimated_cost > available_balance - reserved_balance
--   The policy is the project's live policy, else the user's user-wide one, else none (all allowed).
-- DECISION: a rejected or pending request records what decided in requests.decision: the scope
-- (budget with its id and project, policy with its id, balance, account), the limit, what was
-- used, what was requested, resetsAt for daily and monthly limits and retryAfterSeconds for rate
-- limits. Of several budgets a limit refuses, the one with the least remaining is named.
-- OUTCOME: pending when estimated_cost > policy.require_approval_above (waits for an operator,
-- reserving its cost meanwhile), approved otherwise. Both reserve: estimated_cost is added to
-- both counters and reserved_spending of every applying budget and to users.reserved_balance.
-- IDEMPOTENCY: with an idempotency_key that the user sent in the last 24 hours, the request
-- recorded then is returned as it is now (same status, same reservation) and nothing else
-- happens, provided project, agent, provider, model, endpoint, parameters and estimated cost are
-- the same (hold_seconds is not compared); otherwise SGIDK. The lookup runs after the users row
-- lock, so of identical calls arriving at once the first records and the others find its row.
-- HOLD: the reservation lasts the policy's hold_seconds (900 without a policy: the column's
-- default), or the request's own hold_seconds when shorter (a longer one is capped). At
-- hold_expires_at the expire_holds job releases it (sql/6150-hold-expiry.sql).

create or replace function app_public.submit_request(
  project_id uuid,
  agent_id text,
  api_provider text,
  model_name text,
  endpoint text,
  parameters jsonb default '{}',
  estimated_cost numeric default null,
  hold_seconds integer default null,
  idempotency_key text default null
) returns app_public.requests
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_user app_public.users;
  v_policy app_public.policies;
  v_budget_ids uuid[];
  v_cost numeric := submit_request.estimated_cost;
  v_reason text;
  v_status app_public.requeststatus;
  v_hold_seconds integer;
  v_decision app_public.request_decision;
  -- The API key the call came with (the gateway sets it); budgets of that key apply too.
  v_api_key_id bigint := nullif(pg_catalog.current_setting('jwt.claims.api_key_id', true), '')::bigint;
  v_rate record;
  v_hit record;
  v_request app_public.requests;
begin
  if v_cost is null or v_cost < 0 then
    raise exception 'estimated_cost must be a number >= 0 (got %)', coalesce(v_cost::text, 'null')
      using errcode = 'SGCST';
  end if;

  if submit_request.hold_seconds is not null and submit_request.hold_seconds < 1 then
    raise exception 'hold_seconds must be a positive number of seconds (got %)', submit_request.hold_seconds
      using errcode = 'SGHLD', hint = 'Leave it out for the policy''s hold (15 minutes by default), or ask for a shorter one.';
  end if;

  -- Lock 1: the user row.
  v_user := app_private.lock_caller();

  if submit_request.idempotency_key is not null then
    select * into v_request from app_public.requests r
     where r.user_id = v_user.user_id and r.idempotency_key = submit_request.idempotency_key
       and r.created_at > now() - interval '24 hours'
     order by r.created_at desc
     limit 1;
    if found then
      if (v_request.project_id, v_request.agent_id, v_request.api_provider, v_request.model_name, v_request.endpoint,
          v_request.parameters, v_request.estimated_cost)
         is not distinct from
         (submit_request.project_id, submit_request.agent_id, submit_request.api_provider, submit_request.model_name,
          submit_request.endpoint, coalesce(submit_request.parameters, '{}'), v_cost::numeric(20,8)) then
        return v_request;
      end if;
      raise exception 'idempotency key % was used for a different request (%) in the last 24 hours', submit_request.idempotency_key, v_request.request_id
        using errcode = 'SGIDK', hint = 'Send a new key for a new request; a retry must repeat the first call exactly.';
    end if;
  end if;

  if submit_request.project_id is not null and not exists (
    select from app_public.projects p
     where p.project_id = submit_request.project_id and p.user_id = v_user.user_id and p.deleted_at is null
  ) then
    raise exception 'project % does not exist or is not yours', submit_request.project_id
      using errcode = 'SGPRJ', hint = 'Use one of your own live projects, or no project.';
  end if;

  -- Lock 2: the applying budgets, in id order; then start their new day/period if it began.
  select coalesce(array_agg(s.id order by s.id), '{}') into v_budget_ids
    from (
      select b.id from app_public.budgets b
       where b.user_id = v_user.user_id and b.deleted_at is null
         and (b.project_id is null or b.project_id = submit_request.project_id)
         and (b.api_key_id is null or b.api_key_id = v_api_key_id)
       order by b.id
       for no key update
    ) s;
  perform app_private.roll_over_budgets(v_budget_ids, now());

  select * into v_policy from app_public.policies p
   where p.user_id = v_user.user_id and p.deleted_at is null
     and (p.project_id is null or p.project_id = submit_request.project_id)
   order by p.project_id nulls last
   limit 1;

  -- Each check that refuses also says what decided (requests.decision).
  if v_user.account_status <> 'active' then
    v_reason := 'account_inactive';
    v_decision.scope := 'account';
  elsif jsonb_array_length(v_policy.allowed_providers) > 0
        and not v_policy.allowed_providers ? coalesce(submit_request.api_provider, '') then
    v_reason := 'provider_not_allowed';
    v_decision.period := 'provider';
  elsif jsonb_array_length(v_policy.allowed_models) > 0
        and not v_policy.allowed_models ? coalesce(submit_request.model_name, '') then
    v_reason := 'model_not_allowed';
    v_decision.period := 'model';
  elsif exists (
    select from jsonb_array_elements_text(v_policy.forbidden_operations) op(value)
     where op.value = submit_request.endpoint
        or (right(op.value, 1) = '*' and starts_with(coalesce(submit_request.endpoint, ''), left(op.value, -1)))
  ) then
    v_reason := 'operation_forbidden';
    v_decision.period := 'operation';
  end if;
  if v_reason in ('provider_not_allowed', 'model_not_allowed', 'operation_forbidden') then
    v_decision.scope := 'policy';
    v_decision.policy_id := v_policy.id;
    v_decision.project_id := v_policy.project_id;
  end if;

  -- Rate limits: of the limits reached, the one that frees up last decides; a slot frees up when
  -- the limit-th most recent request counted leaves the window.
  if v_reason is null and v_policy.rate_limits <> '{}' then
    select l.period, l.lim, w.used, w.frees_at into v_rate
      from (values
          ('requests_per_minute', 'minute', interval '1 minute', false),
          ('requests_per_hour', 'hour', interval '1 hour', false),
          ('agent_requests_per_minute', 'agent_minute', interval '1 minute', true),
          ('agent_requests_per_hour', 'agent_hour', interval '1 hour', true)
        ) k(key, period, window_size, per_agent)
      cross join lateral (select k.period, (v_policy.rate_limits ->> k.key)::bigint as lim) l
      cross join lateral (
        select count(*) as used,
               (array_agg(r.created_at order by r.created_at desc))[greatest(l.lim, 1)] + k.window_size as frees_at
          from app_public.requests r
         where r.user_id = v_user.user_id
           and r.created_at > now() - k.window_size
           and r.status <> 'rejected'
           and (v_policy.project_id is null or r.project_id = v_policy.project_id)
           and (not k.per_agent or r.agent_id is not distinct from submit_request.agent_id)
      ) w
     where v_policy.rate_limits ? k.key and w.used >= l.lim
     order by w.frees_at desc nulls first
     limit 1;
    if found then
      v_reason := 'rate_limited';
      v_decision := row('policy', null, v_policy.id, v_policy.project_id, null, v_rate.period, v_rate.lim, v_rate.used, 1, null,
        greatest(1, ceil(extract(epoch from v_rate.frees_at - now())))::integer);
    end if;
  end if;

  -- Budgets: per-request limit first, then daily, then monthly; of the budgets a limit refuses,
  -- the one with the least remaining decides.
  if v_reason is null and cardinality(v_budget_ids) > 0 then
    select b.id, b.project_id, b.api_key_id, c.period, c.lim, c.used, c.resets_at into v_hit
      from app_public.budgets b
      cross join lateral (values
          (1, 'request', b.per_request_limit, 0::numeric, null::timestamptz),
          (2, 'daily', b.daily_limit, b.current_daily_spending, app_private.local_day_end(b.daily_period_start, b.time_zone)),
          (3, 'monthly', b.monthly_limit, b.current_monthly_spending, b.period_end)
        ) c(rank, period, lim, used, resets_at)
     where b.id = any (v_budget_ids) and c.used + v_cost > c.lim
     order by c.rank, c.lim - c.used, b.id
     limit 1;
    if found then
      v_reason := case v_hit.period when 'request' then 'per_request_limit_exceeded'
                                    when 'daily' then 'budget_daily_exceeded' else 'budget_monthly_exceeded' end;
      v_decision := row('budget', v_hit.id, null, v_hit.project_id, v_hit.api_key_id, v_hit.period, v_hit.lim,
        case when v_hit.period = 'request' then null else v_hit.used end, v_cost, v_hit.resets_at, null);
    end if;
  end if;

  if v_reason is null and v_cost > v_user.available_balance - v_user.reserved_balance then
    v_reason := 'insufficient_balance';
    v_decision := row('balance', null, null, null, null, null, v_user.available_balance, v_user.reserved_balance, v_cost, null, null);
  end if;

  if v_reason is not null then
    v_status := 'rejected';
  else
    v_status := case when v_cost > v_policy.require_approval_above then 'pending' else 'approved' end;
    if v_status = 'pending' then
      v_decision := row('policy', null, v_policy.id, v_policy.project_id, null, 'approval', v_policy.require_approval_above, null, v_cost, null, null);
    end if;
    v_hold_seconds := least(coalesce(v_policy.hold_seconds, 900), coalesce(submit_request.hold_seconds, 2147483647));
    update app_public.budgets b set
      current_daily_spending = b.current_daily_spending + v_cost,
      current_monthly_spending = b.current_monthly_spending + v_cost,
      reserved_spending = b.reserved_spending + v_cost
     where b.id = any (v_budget_ids);
    update app_public.users u set reserved_balance = u.reserved_balance + v_cost
     where u.user_id = v_user.user_id;
  end if;

  insert into app_public.requests as r (
    user_id, project_id, agent_id, api_provider, model_name, endpoint, parameters,
    status, estimated_cost, reserved_cost, reserved_budget_ids, reason, hold_expires_at, idempotency_key, decision
  ) values (
    v_user.user_id, submit_request.project_id, submit_request.agent_id, submit_request.api_provider,
    submit_request.model_name, submit_request.endpoint, coalesce(submit_request.parameters, '{}'),
    v_status, v_cost,
    case when v_reason is null then v_cost else 0 end,
    case when v_reason is null then v_budget_ids else '{}' end,
    v_reason,
    now() + v_hold_seconds * interval '1 second',
    submit_request.idempotency_key,
    case when v_decision.scope is not null then v_decision end
  )
  returning * into v_request;
  -- The gateway turns this into a 429-style hint on the response (Retry-After, extensions).
  if v_reason = 'rate_limited' then
    raise notice 'rate limited: retry after % s', v_decision.retry_after_seconds
      using errcode = 'SGRTA', detail = v_decision.retry_after_seconds::text;
  end if;
  return v_request;
end;
$$;
comment on function app_public.submit_request(uuid, text, text, text, text, jsonb, numeric, integer, text) is
  E'@resultFieldName request\nSubmits an agent''s request to call a model provider: checks policy and budget and reserves the estimated cost, atomically (concurrent calls cannot overspend). Returns the recorded request: status approved, pending (estimated cost above the policy''s require_approval_above; an operator decides) or rejected with a machine-readable reason: account_inactive, provider_not_allowed, model_not_allowed, operation_forbidden, rate_limited, per_request_limit_exceeded, budget_daily_exceeded, budget_monthly_exceeded, insufficient_balance. The reservation is held until hold_expires_at: the policy''s hold_seconds (15 minutes by default) or the shorter hold_seconds asked for; if the request is not settled by then, the hold is released and the request cancelled with reason hold_expired. Errors: SGANO (not logged in), SGCST (estimated cost missing or negative), SGPRJ (not your project), SGHLD (hold_seconds not positive), SGIDK (idempotency key already used for a different request). With an idempotency_key, a retry within 24 hours returns the first request instead of submitting again.';
revoke all on function app_public.submit_request(uuid, text, text, text, text, jsonb, numeric, integer, text) from public;
grant execute on function app_public.submit_request(uuid, text, text, text, text, jsonb, numeric, integer, text)
  to spendgate_user, spendgate_operator, spendgate_admin;
