-- after: 20261122001700-recommendations
-- Why: a recommendation is reviewed once. The decision trigger enforces the transitions whoever
-- writes the row (approveRecommendation / rejectRecommendation, a generic update, a job, SQL):
-- pending -> approved or rejected, nothing else (SGTRN); a rejection needs a reason (SGRSN); who
-- decided and when is stamped from the caller's identity and never overwritten afterwards. Plus
-- the shared triggers of recommendations.

create or replace function app_private.tg_recommendations__decision() returns trigger
  language plpgsql volatile
as $$
begin
  if tg_op = 'INSERT' then
    -- Written already decided (an admin, an import): the time defaults to now.
    if new.status = 'approved' then
      new.approved_at := coalesce(new.approved_at, now());
    elsif new.status = 'rejected' then
      new.rejected_at := coalesce(new.rejected_at, now());
    end if;
    return new;
  end if;
  if new.status is distinct from old.status then
    if old.status <> 'pending' or new.status = 'pending' then
      raise exception 'cannot move recommendation % from % to %: a decision is final', old.recommendation_id, old.status, new.status
        using errcode = 'SGTRN', hint = 'Recommendations: pending -> approved or rejected, nothing else.';
    end if;
    if new.status = 'rejected' and coalesce(btrim(new.rejection_reason), '') = '' then
      raise exception 'a rejection needs a reason' using errcode = 'SGRSN';
    end if;
    new.approved_at := case when new.status = 'approved' then now() end;
    new.approved_by := case when new.status = 'approved' then app_public.current_user_id() end;
    new.rejected_at := case when new.status = 'rejected' then now() end;
    new.rejected_by := case when new.status = 'rejected' then app_public.current_user_id() end;
    if new.status = 'approved' then
      new.rejection_reason := null;
    end if;
    return new;
  end if;
  -- No decision in this update: the stamps and the reason stay as they are. (*_by may only become
  -- null: `on delete set null` when the deciding account is deleted.)
  if new.approved_at is distinct from old.approved_at or new.rejected_at is distinct from old.rejected_at
     or new.rejection_reason is distinct from old.rejection_reason
     or (new.approved_by is not null and new.approved_by is distinct from old.approved_by)
     or (new.rejected_by is not null and new.rejected_by is distinct from old.rejected_by) then
    raise exception 'the decision on recommendation % (who, when, why) cannot be changed', old.recommendation_id
      using errcode = 'SGTRN', hint = 'Approve or reject a pending recommendation with approveRecommendation or rejectRecommendation.';
  end if;
  return new;
end;
$$;
comment on function app_private.tg_recommendations__decision() is
  'Trigger on recommendations: allows only pending -> approved/rejected (SGTRN), requires a rejection reason (SGRSN), stamps approved_at/by or rejected_at/by with now() and the current user, and refuses any later change of the stamps or the reason.';
revoke all on function app_private.tg_recommendations__decision() from public;

create or replace trigger _100_timestamps before insert or update on app_public.recommendations
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.recommendations
  for each row execute function app_private.tg__soft_delete_guard('recommendation_id');
create or replace trigger _300_decision before insert or update on app_public.recommendations
  for each row execute function app_private.tg_recommendations__decision();
