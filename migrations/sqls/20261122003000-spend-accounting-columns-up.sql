-- Why: submitRequest reserves an estimated cost and completeRequest settles it later; between the
-- two, the database must know what is reserved and where, so that settling or releasing puts
-- back exactly what was taken. This migration adds those bookkeeping columns, the status
-- transition rules for requests and payments, and closes the direct paths around them.
--
-- THE SPEND LEDGER (how the columns relate; the functions of sql/3200..3400 keep it)
-- * users.available_balance  money the user has (completed top-ups minus settled costs).
--   users.reserved_balance   sum of the reservations of the user's outstanding requests
--                            (status pending, approved or executing). A request fits the
--                            balance when estimated_cost <= available_balance - reserved_balance.
-- * budgets.reserved_spending            sum of the outstanding reservations held against the budget.
--   budgets.current_daily_spending       settled costs of the current UTC day + reserved_spending.
--   budgets.current_monthly_spending     settled costs of the current period + reserved_spending.
--   So both counters are always >= reserved_spending. A period reset sets a counter back to
--   reserved_spending, not to 0: reservations still outstanding are carried into the new period
--   (their cost will be settled in it), settled costs of the old period are dropped.
-- * requests.reserved_cost        what the request reserved (0 for rejected requests); kept
--                                 after settlement as history; outstanding iff the status is
--                                 pending, approved or executing.
--   requests.reserved_budget_ids  the budgets whose counters hold that reservation: settlement
--                                 and release adjust exactly these, even if budgets were created
--                                 or deleted in between.
--
-- Direct status updates are revoked from the API roles (operators could set requests.status,
-- admins payments.status and requests.actual_cost through the generic update mutations): a status
-- change without the matching money movement would break the ledger. Status changes go through
-- approveRequest, completeRequest, completePayment, ... only, and the transition triggers of
-- sql/3000-status-transitions.sql refuse invalid moves whoever makes them (SQLSTATE SGTRN).

alter table app_public.users
  add column reserved_balance numeric(20,8) not null default 0 check (reserved_balance >= 0);
comment on column app_public.users.reserved_balance is
  'Sum of the estimated costs reserved by the user''s outstanding requests (pending, approved, executing); spendable balance is available_balance minus this.';
grant select (reserved_balance) on app_public.users to spendgate_user;

alter table app_public.budgets
  add column daily_period_start timestamptz not null
    default (date_trunc('day', now() at time zone 'utc') at time zone 'utc'),
  add column reserved_spending numeric(20,8) not null default 0 check (reserved_spending >= 0);
comment on column app_public.budgets.daily_period_start is
  'Start (UTC midnight) of the day current_daily_spending counts; the daily reset moves it to the current UTC day.';
comment on column app_public.budgets.reserved_spending is
  'Sum of the reservations of outstanding requests held against this budget; included in both current_* counters and carried over when a period is reset.';
grant select (daily_period_start, reserved_spending) on app_public.budgets to spendgate_user;

alter table app_public.requests
  add column reserved_cost numeric(20,8) not null default 0 check (reserved_cost >= 0),
  add column reserved_budget_ids uuid[] not null default '{}',
  add column decided_by uuid references app_public.users (user_id) on delete set null,
  add column decided_at timestamptz,
  add column finished_at timestamptz;
create index idx_requests_decided_by on app_public.requests (decided_by);
-- Rate limits count a user's recent requests (submit_request) under the user's row lock.
create index idx_requests_user_id_created_at on app_public.requests (user_id, created_at);
comment on column app_public.requests.reserved_cost is
  'Amount reserved against budgets and balance when the request was accepted (0 when rejected); outstanding while the status is pending, approved or executing.';
comment on column app_public.requests.reserved_budget_ids is
  'The budgets whose spending counters hold this request''s reservation; settlement and release adjust exactly these.';
comment on column app_public.requests.decided_by is 'The operator who approved or rejected the pending request.';
comment on column app_public.requests.decided_at is 'When an operator approved or rejected the pending request.';
comment on column app_public.requests.finished_at is 'When the request reached executed, failed or cancelled.';
comment on column app_public.requests.reason is
  'Machine-readable reason when the request was not approved: account_inactive, provider_not_allowed, model_not_allowed, operation_forbidden, rate_limited, per_request_limit_exceeded, budget_daily_exceeded, budget_monthly_exceeded, insufficient_balance; or the operator''s reason for a rejection; null otherwise.';
grant select (reserved_cost, reserved_budget_ids, decided_by, decided_at, finished_at)
  on app_public.requests to spendgate_user;

comment on column app_public.policies.rate_limits is
  'JSON object of rate limits on accepted (non-rejected) requests: requests_per_minute, requests_per_hour (all requests in the policy''s scope: its project, or all the user''s requests for a user-wide policy), agent_requests_per_minute, agent_requests_per_hour (the same, counted per agent_id). Missing keys mean no limit.';
comment on column app_public.policies.forbidden_operations is
  'JSON array of endpoints requests must not call; an entry ending in * forbids every endpoint starting with what precedes it.';

revoke update (status, reason) on app_public.requests from spendgate_operator;
revoke update (actual_cost) on app_public.requests from spendgate_admin;
revoke update (status) on app_public.payments from spendgate_admin;
