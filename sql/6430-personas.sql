-- after: 20261130050000-insights
-- Why: the persona job (task compute_personas: nightly, and on demand for one user). In one
-- set-based statement for all users at once, so it scales with the number of users:
--   1. signals over the last 30 and 180 UTC days from the spend Spendgate recorded (requests) and
--      the spend the user uploaded (upload_transactions of completed uploads, issue 12), for every
--      active user who consented (users.consent_status). An uploaded transaction is the same
--      spend as a request when reconciliation would match it (its external_id is the id of an
--      executed request of the same user, data_uploads_request_matches): then only the request
--      counts. A transaction whose external_id is in several of the user's uploads counts from
--      the newest one only (re-uploading an export does not double it);
--   2. a persona from the 30-day signals (README, "Spend insights": rules in this order):
--        5 dormant   no request and no uploaded transaction in 30 days
--        4 at_risk   a budget ran at >= 80% of a limit, or >= 20% of requests were rejected
--        3 growing   the last 15 days cost >= 1.5 times the 15 days before
--        2 bursty    the busiest day cost >= 5 times the average day
--        1 steady    everything else
--   3. the profile is upserted only when something changed (the history trigger appends the new
--      persona, the notify trigger invalidates caches);
--   4. the rules of the new persona propose pending recommendations, at most one pending per user
--      and rule, and none for a rule decided on in the last 30 days.

-- Signals of eligible users (one row each, users without requests included). Neither security
-- definer nor SET: the planner inlines it into compute_personas' statement, where as_of and
-- only_user are known values, so the nightly run (all users: hash joins over whole tables) and
-- the on-demand run (one user: index scans) each get their own plan. As a separate SQL function
-- it was planned once with unknown parameters, which gave the nightly run one index probe of
-- requests per user.
create or replace function app_private.insight_signals(as_of timestamptz, only_user uuid default null)
  returns table (user_id uuid, signals_30d jsonb, signals_180d jsonb)
  language sql stable
as $$
  with params as (
    select (as_of at time zone 'utc')::date as today,
           (((as_of at time zone 'utc')::date - 179)::timestamp at time zone 'utc') as since
  ), eligible as (
    select u.user_id from app_public.users u
     where u.consent_status and u.account_status = 'active' and u.deleted_at is null
       and (only_user is null or u.user_id = only_user)
  ), windows (days) as (
    values (30), (180)
  ), recorded as (
    -- The recorded spend: one row per user, UTC day, provider and model.
    select r.user_id, (r.created_at at time zone 'utc')::date as day,
           lower(coalesce(r.api_provider, 'unknown')) as provider, coalesce(r.model_name, 'unknown') as model,
           count(*) as requests, count(*) filter (where r.status = 'rejected') as rejected, sum(r.settled_cost) as spend,
           0 as uploaded_rows, 0 as uploaded_spend
      from app_public.requests r join eligible e on e.user_id = r.user_id, params p
     where r.created_at >= p.since and r.created_at < as_of and r.deleted_at is null
     group by 1, 2, 3, 4
  ), uploads as (
    -- Transactions of the user's completed uploads in the window, each with the request it
    -- names (external_id, when it is a uuid) and whether a newer upload has the same external_id.
    select t.user_id, t.occurred_at, t.provider, t.model, t.cost,
           case when t.external_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                then lower(t.external_id)::uuid end as request_id,
           t.external_id is not null and d.created_at < max(d.created_at) over (partition by t.user_id, t.external_id) as superseded
      from app_public.upload_transactions t
      join eligible e on e.user_id = t.user_id
      join app_public.data_uploads d on d.upload_id = t.upload_id and d.status = 'completed' and d.deleted_at is null,
      params p
     where t.occurred_at >= p.since and t.occurred_at < as_of and t.deleted_at is null
  ), uploaded as (
    -- Only what Spendgate did not record: not a settled request of the user (those count above).
    select x.user_id, (x.occurred_at at time zone 'utc')::date as day, x.provider, x.model,
           0 as requests, 0 as rejected, sum(x.cost) as spend, count(*) as uploaded_rows, sum(x.cost) as uploaded_spend
      from uploads x
     where not x.superseded
       and not exists (select from app_public.requests r
                        where r.request_id = x.request_id and r.user_id = x.user_id
                          and r.status = 'executed' and r.deleted_at is null)
     group by 1, 2, 3, 4
  ), per_day as (
    select * from recorded union all select * from uploaded
  ), in_window as (
    select w.days, d.* from per_day d cross join windows w, params p where d.day > p.today - w.days
  ), by_day as (
    select i.user_id, i.days, i.day, sum(i.requests) as requests, sum(i.rejected) as rejected, sum(i.spend) as spend,
           sum(i.uploaded_rows) as uploaded_rows, sum(i.uploaded_spend) as uploaded_spend
      from in_window i group by 1, 2, 3
  ), totals as (
    select b.user_id, b.days, sum(b.requests) as requests, sum(b.rejected) as rejected, sum(b.spend) as spend,
           sum(b.uploaded_rows) as uploaded_rows, sum(b.uploaded_spend) as uploaded_spend,
           count(*) as active_days, max(b.spend) as max_daily,
           coalesce(sum(b.spend) filter (where b.day > p.today - b.days / 2), 0) as recent_half,
           coalesce(sum(b.spend) filter (where b.day <= p.today - b.days / 2), 0) as earlier_half
      from by_day b, params p group by 1, 2
  ), providers as (
    select x.user_id, x.days, jsonb_object_agg(x.provider, round(x.spend / t.spend, 4)) as shares
      from (select i.user_id, i.days, i.provider, sum(i.spend) as spend from in_window i group by 1, 2, 3) x
      join totals t on t.user_id = x.user_id and t.days = x.days
     where t.spend > 0
     group by 1, 2
  ), models as (
    select x.user_id, x.days, jsonb_object_agg(x.model, round(x.spend / t.spend, 4)) as shares
      from (select i.user_id, i.days, i.model, sum(i.spend) as spend from in_window i group by 1, 2, 3) x
      join totals t on t.user_id = x.user_id and t.days = x.days
     where t.spend > 0
     group by 1, 2
  ), budgets as (
    -- How close the user's live budgets run to their limits now (1 = at the limit).
    select b.user_id, max(greatest(b.current_daily_spending / nullif(b.daily_limit, 0),
                                   b.current_monthly_spending / nullif(b.monthly_limit, 0))) as utilization
      from app_public.budgets b join eligible e on e.user_id = b.user_id
     where b.deleted_at is null
     group by 1
  ), signals as (
    select e.user_id, w.days, jsonb_build_object(
             'requests', coalesce(t.requests, 0),
             'rejected_requests', coalesce(t.rejected, 0),
             'rejection_rate', coalesce(round(t.rejected::numeric / nullif(t.requests, 0), 4), 0),
             'total_spend', coalesce(t.spend, 0),
             'uploaded_transactions', coalesce(t.uploaded_rows, 0),
             'uploaded_spend', coalesce(t.uploaded_spend, 0),
             'daily_spend', round(coalesce(t.spend, 0) / w.days, 8),
             'active_days', coalesce(t.active_days, 0),
             'max_daily_spend', coalesce(t.max_daily, 0),
             'burstiness', coalesce(round(t.max_daily / nullif(t.spend / w.days, 0), 2), 0),
             'trend', round(t.recent_half / nullif(t.earlier_half, 0), 2),
             'share_by_provider', coalesce(p.shares, '{}'),
             'share_by_model', coalesce(m.shares, '{}'),
             'budget_utilization', round(bu.utilization, 4)
           ) as signals
      from eligible e cross join windows w
      left join totals t on t.user_id = e.user_id and t.days = w.days
      left join providers p on p.user_id = e.user_id and p.days = w.days
      left join models m on m.user_id = e.user_id and m.days = w.days
      left join budgets bu on bu.user_id = e.user_id
  )
  select s.user_id, (array_agg(s.signals) filter (where s.days = 30))[1], (array_agg(s.signals) filter (where s.days = 180))[1]
    from signals s group by s.user_id;
$$;
comment on function app_private.insight_signals(timestamptz, uuid) is
  'Spend signals over the 30 and 180 UTC days up to as_of of every active, consenting user (or only one): requests, rejections, spend (settled requests plus uploaded transactions that match no settled request), the uploaded part of it, daily spend, active days, busiest day, burstiness, trend, shares by provider and model, budget utilization.';
revoke all on function app_private.insight_signals(timestamptz, uuid) from public;

create or replace function app_private.persona_for(signals_30d jsonb)
  returns table (persona_id integer, persona_name text, persona_rule text)
  language sql immutable
as $$
  select p.persona_id, p.persona_name, p.persona_rule from (values
    (5, 'dormant', 'requests = 0 and uploaded_transactions = 0',
       (signals_30d ->> 'requests')::numeric = 0 and coalesce((signals_30d ->> 'uploaded_transactions')::numeric, 0) = 0),
    (4, 'at_risk', 'budget_utilization >= 0.8 or rejection_rate >= 0.2',
       coalesce((signals_30d ->> 'budget_utilization')::numeric, 0) >= 0.8 or (signals_30d ->> 'rejection_rate')::numeric >= 0.2),
    (3, 'growing', 'trend >= 1.5', coalesce((signals_30d ->> 'trend')::numeric, 0) >= 1.5),
    (2, 'bursty', 'burstiness >= 5', (signals_30d ->> 'burstiness')::numeric >= 5),
    (1, 'steady', 'otherwise', true)
  ) as p (persona_id, persona_name, persona_rule, applies)
  where p.applies
  order by case p.persona_id when 5 then 0 when 4 then 1 when 3 then 2 when 2 then 3 else 4 end
  limit 1;
$$;
comment on function app_private.persona_for(jsonb) is
  'The persona (1 steady, 2 bursty, 3 growing, 4 at_risk, 5 dormant) the 30-day signals give, with the rule that decided it; rules are tried from dormant to steady.';
revoke all on function app_private.persona_for(jsonb) from public;

-- What the job proposes to a user of each persona, with the rationale from their signals.
create or replace function app_private.recommendation_rules(persona_id integer, signals_30d jsonb)
  returns table (rule text, type app_public.recommendation_type, title text, content text, rationale text, signal_keys text[])
  language sql immutable
as $$
  select r.rule, r.type::app_public.recommendation_type, r.title, r.content, r.rationale, r.signal_keys
    from (values
      (4, 'budget_guardrails', 'education', 'Keep your agents inside their budgets',
       'Set a per-request limit and an approval threshold on your policies, so that one expensive call cannot use up a budget, and watch the budget status before long runs.',
       format('Over the last 30 days your budgets ran at up to %s%% of their limits and %s%% of your requests were rejected.',
              round(coalesce((signals_30d ->> 'budget_utilization')::numeric, 0) * 100),
              round((signals_30d ->> 'rejection_rate')::numeric * 100)),
       array['budget_utilization', 'rejection_rate', 'rejected_requests', 'requests']),
      (2, 'spend_smoothing', 'education', 'Smooth out spending bursts',
       'Rate limits on your policies spread a burst of agent calls over time; a daily limit on the budget caps what one busy day can cost.',
       format('On your busiest day of the last 30 days you spent %s times your daily average.', signals_30d ->> 'burstiness'),
       array['burstiness', 'max_daily_spend', 'daily_spend']),
      (3, 'volume_pricing', 'partner_offer', 'Volume pricing for growing usage',
       'Your usage qualifies for a conversation about committed-use pricing with our model provider partners.',
       format('Your spending in the last 15 days was %s times that of the 15 days before.', signals_30d ->> 'trend'),
       array['trend', 'total_spend', 'share_by_provider']),
      (5, 'getting_started', 'education', 'Pick up where you left off',
       'Your projects, budgets and policies are still in place: an agent can submit requests again at any time.',
       'You have made no requests and uploaded no spend in the last 30 days.',
       array['requests', 'uploaded_transactions'])
    ) as r (persona_id, rule, type, title, content, rationale, signal_keys)
   where r.persona_id = recommendation_rules.persona_id;
$$;
comment on function app_private.recommendation_rules(integer, jsonb) is
  'The recommendation rules of a persona: rule name, type, title, content, a rationale filled in from the 30-day signals, and the signals the rule looks at (recorded in decision_trace).';
revoke all on function app_private.recommendation_rules(integer, jsonb) from public;

-- PL/pgSQL only to plan the statement with its arguments' values (plan_cache_mode): an SQL
-- function's statement is planned with unknown parameters, the same plan for one user and for all.
create or replace function app_private.compute_personas(as_of timestamptz default now(), only_user uuid default null)
  returns table (profiles_changed integer, recommendations_proposed integer)
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
  set plan_cache_mode = force_custom_plan
as $$
begin
  return query
  with computed as materialized (
    select s.user_id, p.persona_id, p.persona_name, p.persona_rule, s.signals_30d, s.signals_180d
      from app_private.insight_signals(as_of, only_user) s
      cross join lateral app_private.persona_for(s.signals_30d) p
  ), upserted as (
    insert into app_public.user_profiles as up (user_id, persona_id, persona_name, signals_30d, signals_180d)
    select c.user_id, c.persona_id, c.persona_name, c.signals_30d, c.signals_180d from computed c
    on conflict (user_id) do update
       set persona_id = excluded.persona_id, persona_name = excluded.persona_name,
           signals_30d = excluded.signals_30d, signals_180d = excluded.signals_180d
     where (up.persona_id, up.persona_name, up.signals_30d, up.signals_180d)
           is distinct from (excluded.persona_id, excluded.persona_name, excluded.signals_30d, excluded.signals_180d)
    returning 1
  ), proposed as (
    insert into app_public.recommendations (user_id, type, title, content, rationale, decision_trace, rule)
    select c.user_id, r.type, r.title, r.content, r.rationale,
           jsonb_build_object(
             'rule', r.rule, 'persona_id', c.persona_id, 'persona_name', c.persona_name,
             'persona_rule', c.persona_rule, 'as_of', as_of, 'window_days', 30,
             'signals', (select jsonb_object_agg(k, c.signals_30d -> k) from unnest(r.signal_keys) k)),
           r.rule
      from computed c
      cross join lateral app_private.recommendation_rules(c.persona_id, c.signals_30d) r
     where not exists (
       select from app_public.recommendations x
        where x.user_id = c.user_id and x.rule = r.rule and x.deleted_at is null
          and (x.status = 'pending' or coalesce(x.approved_at, x.rejected_at) > as_of - interval '30 days'))
    on conflict (user_id, rule) where status = 'pending' and deleted_at is null do nothing
    returning 1
  )
  select (select count(*)::integer from upserted), (select count(*)::integer from proposed);
end;
$$;
comment on function app_private.compute_personas(timestamptz, uuid) is
  'The persona job: signals, persona, profile upsert (only when changed) and pending recommendations for every active, consenting user, or only one; returns how many profiles changed and recommendations were proposed. Idempotent.';
revoke all on function app_private.compute_personas(timestamptz, uuid) from public;

-- On demand from the API: a user refreshes their own profile; operators anyone's.
create or replace function app_public.compute_persona(user_id uuid) returns app_public.user_profiles
  language plpgsql volatile strict
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_profile app_public.user_profiles;
begin
  if not (app_private.caller_is_operator() or compute_persona.user_id = app_public.current_user_id()) then
    raise exception 'only operators can compute another user''s persona' using errcode = 'SGOPR';
  end if;
  if not exists (select from app_public.users u
                  where u.user_id = compute_persona.user_id and u.consent_status
                    and u.account_status = 'active' and u.deleted_at is null) then
    raise exception 'no consent: insights are computed only for active users who consented' using errcode = 'SGCNS';
  end if;
  perform app_private.compute_personas(now(), compute_persona.user_id);
  select * into v_profile from app_public.user_profiles p where p.user_id = compute_persona.user_id;
  return v_profile;
end;
$$;
comment on function app_public.compute_persona(uuid) is
  E'@resultFieldName userProfile\nComputes the signals and persona of one user now (the nightly job does all users) and proposes recommendations; returns the profile. The user themselves or an operator. Errors: SGOPR, SGCNS (the user has not consented or is not active).';
revoke all on function app_public.compute_persona(uuid) from public;
grant execute on function app_public.compute_persona(uuid) to spendgate_user, spendgate_operator, spendgate_admin;
