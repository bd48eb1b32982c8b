grant update (status) on app_public.payments to spendgate_admin;
grant update (actual_cost) on app_public.requests to spendgate_admin;
grant update (status, reason) on app_public.requests to spendgate_operator;

comment on column app_public.policies.forbidden_operations is 'JSON array of endpoints or operations requests must not call.';
comment on column app_public.policies.rate_limits is 'JSON object of rate limits, e.g. {"per_minute": 60}.';
comment on column app_public.requests.reason is 'Machine-readable reason when the request was not approved (e.g. budget_exceeded); null otherwise.';

drop index app_public.idx_requests_user_id_created_at;
drop index app_public.idx_requests_decided_by;
alter table app_public.requests
  drop column finished_at,
  drop column decided_at,
  drop column decided_by,
  drop column reserved_budget_ids,
  drop column reserved_cost;
alter table app_public.budgets
  drop column reserved_spending,
  drop column daily_period_start;
alter table app_public.users drop column reserved_balance;
