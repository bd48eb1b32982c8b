-- after: 20261122003000-spend-accounting-columns
-- Why: a status change without the matching money movement would break the spend ledger
-- (migration 20261122003000): these triggers refuse invalid moves of requests and payments,
-- whoever makes them (SQLSTATE SGTRN).

-- Transition rules. Terminal states: rejected, executed, failed, cancelled (requests);
-- completed, failed, cancelled (payments). One exception: a request cancelled because its hold
-- expired (reason hold_expired) may still be completed or failed by its agent, which may have
-- made the call after all: its real cost must be recorded, never lost.
create or replace function app_private.request_transition_allowed(from_status app_public.requeststatus, to_status app_public.requeststatus, from_reason text)
  returns boolean
  language sql immutable
as $$
  select (from_status, to_status) in (
    ('pending', 'approved'), ('pending', 'rejected'), ('pending', 'cancelled'),
    ('validating', 'pending'), ('validating', 'approved'), ('validating', 'rejected'), ('validating', 'cancelled'),
    ('approved', 'executing'), ('approved', 'executed'), ('approved', 'failed'), ('approved', 'cancelled'),
    ('executing', 'executed'), ('executing', 'failed'), ('executing', 'cancelled')
  ) or (from_status = 'cancelled' and from_reason = 'hold_expired' and to_status in ('executed', 'failed'));
$$;
comment on function app_private.request_transition_allowed(app_public.requeststatus, app_public.requeststatus, text) is
  'Whether a request (with reason from_reason) may move from one status to another: pending -> approved/rejected/cancelled, approved -> executing/executed/failed/cancelled, executing -> executed/failed/cancelled, and cancelled with reason hold_expired -> executed/failed (a late settlement).';

create or replace function app_private.payment_transition_allowed(from_status app_public.paymentstatus, to_status app_public.paymentstatus)
  returns boolean
  language sql immutable
as $$
  select from_status = 'pending' and to_status in ('completed', 'failed', 'cancelled');
$$;
comment on function app_private.payment_transition_allowed(app_public.paymentstatus, app_public.paymentstatus) is
  'Whether a payment may move from one status to another: only pending -> completed/failed/cancelled.';

create or replace function app_private.tg__status_transition() returns trigger
  language plpgsql volatile
as $$
declare
  v_allowed boolean;
begin
  if new.status is not distinct from old.status then
    return new;
  end if;
  if tg_table_name = 'requests' then
    v_allowed := app_private.request_transition_allowed(old.status::text::app_public.requeststatus, new.status::text::app_public.requeststatus,
      pg_catalog.to_jsonb(old) ->> 'reason');
  else
    v_allowed := app_private.payment_transition_allowed(old.status::text::app_public.paymentstatus, new.status::text::app_public.paymentstatus);
  end if;
  if not v_allowed then
    raise exception 'cannot move % % from % to %', rtrim(tg_table_name, 's'),
      pg_catalog.to_jsonb(old) ->> tg_argv[0], old.status, new.status
      using errcode = 'SGTRN',
            hint = 'Requests: pending -> approved/rejected/cancelled, approved -> executing/executed/failed/cancelled, executing -> executed/failed/cancelled, cancelled (hold_expired) -> executed/failed. Payments: pending -> completed/failed/cancelled.';
  end if;
  return new;
end;
$$;
comment on function app_private.tg__status_transition() is
  'Trigger (before update of status on requests and payments; argument: primary key column): refuses a status change the transition rules do not allow (SQLSTATE SGTRN, naming both statuses).';
revoke all on function app_private.tg__status_transition() from public;

create or replace trigger _500_status_transition before update of status on app_public.requests
  for each row execute function app_private.tg__status_transition('request_id');
create or replace trigger _500_status_transition before update of status on app_public.payments
  for each row execute function app_private.tg__status_transition('payment_id');
