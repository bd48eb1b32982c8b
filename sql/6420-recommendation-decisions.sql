-- after: 20261130050000-insights
-- Why: operators decide on the recommendations the persona job proposes. These two functions are
-- the API's approveRecommendation / rejectRecommendation; the transition rules themselves are in
-- the decision trigger (sql/1700-recommendations.sql), so that no other path can bypass them.
-- Errors: SGOPR (not an operator), SGRCN (no such live recommendation), SGTRN (already decided),
-- SGRSN (rejection without a reason).

create or replace function app_private.decide_recommendation(recommendation_id uuid, decision app_public.recommendation_status, reason text)
  returns app_public.recommendations
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_recommendation app_public.recommendations;
begin
  if not app_private.caller_is_operator() then
    raise exception 'only operators and admins can decide on recommendations' using errcode = 'SGOPR';
  end if;
  if decision = 'rejected' and coalesce(btrim(reason), '') = '' then
    raise exception 'a rejection needs a reason' using errcode = 'SGRSN';
  end if;
  select * into v_recommendation from app_public.recommendations r
   where r.recommendation_id = decide_recommendation.recommendation_id and r.deleted_at is null
   for no key update;
  if not found then
    raise exception 'recommendation % not found', decide_recommendation.recommendation_id using errcode = 'SGRCN';
  end if;
  -- Approving an approved one changes no status, so the trigger would let it pass: a decision is final.
  if v_recommendation.status <> 'pending' then
    raise exception 'recommendation % was already %: a decision is final', v_recommendation.recommendation_id, v_recommendation.status
      using errcode = 'SGTRN', hint = 'Recommendations: pending -> approved or rejected, nothing else.';
  end if;
  update app_public.recommendations r
     set status = decision, rejection_reason = case when decision = 'rejected' then btrim(reason) end
   where r.recommendation_id = v_recommendation.recommendation_id
  returning * into v_recommendation;
  return v_recommendation;
end;
$$;
comment on function app_private.decide_recommendation(uuid, app_public.recommendation_status, text) is
  'Moves a live pending recommendation to approved or rejected as the calling operator; the decision trigger stamps who and when. Raises SGOPR, SGRSN, SGRCN, SGTRN.';
revoke all on function app_private.decide_recommendation(uuid, app_public.recommendation_status, text) from public;

create or replace function app_public.approve_recommendation(recommendation_id uuid) returns app_public.recommendations
  language sql volatile strict
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  select app_private.decide_recommendation(recommendation_id, 'approved', null);
$$;
comment on function app_public.approve_recommendation(uuid) is
  E'@resultFieldName recommendation\nOperators and admins: approves a pending recommendation, which the user then sees. Errors: SGOPR, SGRCN, SGTRN (already decided).';

create or replace function app_public.reject_recommendation(recommendation_id uuid, reason text) returns app_public.recommendations
  language sql volatile strict
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  select app_private.decide_recommendation(recommendation_id, 'rejected', reason);
$$;
comment on function app_public.reject_recommendation(uuid, text) is
  E'@resultFieldName recommendation\nOperators and admins: rejects a pending recommendation with a reason (required); the user never sees it. Errors: SGOPR, SGRSN, SGRCN, SGTRN (already decided).';

revoke all on function app_public.approve_recommendation(uuid) from public;
revoke all on function app_public.reject_recommendation(uuid, text) from public;
grant execute on function app_public.approve_recommendation(uuid) to spendgate_user, spendgate_operator, spendgate_admin;
grant execute on function app_public.reject_recommendation(uuid, text) to spendgate_user, spendgate_operator, spendgate_admin;
