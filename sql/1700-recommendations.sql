-- after: 20261122001700-recommendations
-- Why: who decided on a recommendation and when is stamped from the operator's identity: the decision
-- trigger, and the shared triggers of recommendations.

create or replace function app_private.tg_recommendations__decision() returns trigger
  language plpgsql volatile
as $$
begin
  if tg_op = 'UPDATE' and new.status is distinct from old.status then
    new.approved_at := null; new.approved_by := null;
    new.rejected_at := null; new.rejected_by := null;
    if new.status = 'approved' then
      new.approved_at := now();
      new.approved_by := app_public.current_user_id();
      new.rejection_reason := null;
    elsif new.status = 'rejected' then
      new.rejected_at := now();
      new.rejected_by := app_public.current_user_id();
    end if;
  elsif tg_op = 'INSERT' then
    if new.status = 'approved' then
      new.approved_at := coalesce(new.approved_at, now());
    elsif new.status = 'rejected' then
      new.rejected_at := coalesce(new.rejected_at, now());
    end if;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_recommendations__decision() is
  'Trigger on recommendations: when the status changes, stamps approved_at/approved_by or rejected_at/rejected_by with now() and the current user.';
revoke all on function app_private.tg_recommendations__decision() from public;

create or replace trigger _100_timestamps before insert or update on app_public.recommendations
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.recommendations
  for each row execute function app_private.tg__soft_delete_guard('recommendation_id');
create or replace trigger _300_decision before insert or update on app_public.recommendations
  for each row execute function app_private.tg_recommendations__decision();
