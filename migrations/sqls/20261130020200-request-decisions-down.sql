alter type app_public.budget_status
  drop attribute next_reset_at,
  drop attribute next_hold_expires_at,
  drop attribute live_holds;
alter table app_public.requests drop column decision;
drop type app_public.request_decision;
