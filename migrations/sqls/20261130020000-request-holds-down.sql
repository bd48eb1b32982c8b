comment on column app_public.requests.reason is
  'Machine-readable reason when the request was not approved: account_inactive, provider_not_allowed, model_not_allowed, operation_forbidden, rate_limited, per_request_limit_exceeded, budget_daily_exceeded, budget_monthly_exceeded, insufficient_balance; or the operator''s reason for a rejection; null otherwise.';
alter table app_public.requests drop column uncovered_cost, drop column over_limit, drop column hold_expires_at;
alter table app_public.policies drop column hold_seconds;
