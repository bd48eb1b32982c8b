-- after: 20261122001100-budgets
-- Why: a budget's monthly period ends one calendar month after it starts unless given: the period
-- trigger, and the shared triggers of budgets.

create or replace function app_private.tg_budgets__period_end() returns trigger
  language plpgsql volatile
as $$
begin
  if new.period_end is null then
    new.period_end := ((new.period_start at time zone 'utc') + interval '1 month') at time zone 'utc';
  end if;
  return new;
end;
$$;
comment on function app_private.tg_budgets__period_end() is
  'Trigger (before insert or update on budgets): a missing period_end becomes period_start plus one calendar month (UTC).';
revoke all on function app_private.tg_budgets__period_end() from public;

create or replace trigger _100_timestamps before insert or update on app_public.budgets
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.budgets
  for each row execute function app_private.tg__soft_delete_guard('id');
create or replace trigger _300_project_owner before insert or update of project_id, user_id on app_public.budgets
  for each row execute function app_private.tg__project_owner_matches();
create or replace trigger _400_period before insert or update of period_start, period_end on app_public.budgets
  for each row execute function app_private.tg_budgets__period_end();
