-- Why: a reservation (hold) made by submitRequest must not outlive the agent that made it. An
-- agent that crashes or loses its connection never settles, and its hold would block the budget
-- for good (false "over budget" rejections). Every hold now has an expiry: the policy's
-- hold_seconds (default 15 minutes), or a shorter one asked for by the request. The worker task
-- expire_holds releases expired holds and marks their requests cancelled with reason
-- hold_expired. A late completeRequest still records and charges the actual cost: the columns
-- over_limit and uncovered_cost say when that pushed spending past a limit or past the balance,
-- so nothing is lost and nothing is hidden (sql/3300-request-lifecycle.sql).

alter table app_public.policies
  add column hold_seconds integer not null default 900 check (hold_seconds between 1 and 86400);
comment on column app_public.policies.hold_seconds is
  'How long a reservation (hold) of an accepted request lasts before the expire_holds job releases it, in seconds (default 900 = 15 minutes, at most 1 day). A request may ask for a shorter hold, never a longer one.';
grant select (hold_seconds), insert (hold_seconds), update (hold_seconds) on app_public.policies to spendgate_user;

alter table app_public.requests
  add column hold_expires_at timestamptz,
  add column over_limit boolean not null default false,
  add column uncovered_cost numeric(20,8) not null default 0 check (uncovered_cost >= 0);
-- expire_holds looks for outstanding holds past their expiry.
create index idx_requests_hold_expires_at on app_public.requests (hold_expires_at)
  where status in ('pending', 'approved', 'executing');
comment on column app_public.requests.hold_expires_at is
  'When the reservation of an accepted request is released if the request is still not settled (status becomes cancelled, reason hold_expired); null for rejected requests.';
comment on column app_public.requests.over_limit is
  'True when settling the request (typically a completion after its hold expired) pushed a budget past its daily or monthly limit, or cost more than the balance had left.';
comment on column app_public.requests.uncovered_cost is
  'Part of the actual cost the balance could not cover when the request was settled (the balance stops at 0); 0 normally.';
comment on column app_public.requests.reason is
  'Machine-readable reason when the request was not approved: account_inactive, provider_not_allowed, model_not_allowed, operation_forbidden, rate_limited, per_request_limit_exceeded, budget_daily_exceeded, budget_monthly_exceeded, insufficient_balance; hold_expired when its hold expired before it was settled (status cancelled); or the operator''s reason for a rejection; null otherwise.';
grant select (hold_expires_at, over_limit, uncovered_cost) on app_public.requests to spendgate_user;
