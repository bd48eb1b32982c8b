-- Why: a client told only `budget_daily_exceeded` cannot act on it: which budget, how much is
-- left, when does it reset, when may a rate-limited agent try again? Every rejected or pending
-- request now carries the decision behind it (requests.decision, written by submit_request:
-- sql/6110-submit-request.sql), and Budget.budgetStatus shows the live holds and the next reset.

create type app_public.request_decision as (
  scope text,
  budget_id uuid,
  policy_id uuid,
  project_id uuid,
  api_key_id bigint,
  period text,
  "limit" numeric,
  used numeric,
  requested numeric,
  resets_at timestamptz,
  retry_after_seconds integer
);
comment on type app_public.request_decision is 'What decided a rejected or pending request: the scope (a budget, a policy, the balance or the account), the limit that applied, what was used of it and what the request asked for.';
comment on column app_public.request_decision.scope is 'What decided: budget, policy, balance or account.';
comment on column app_public.request_decision.budget_id is 'The budget that decided (scope budget).';
comment on column app_public.request_decision.policy_id is 'The policy that decided (scope policy).';
comment on column app_public.request_decision.project_id is 'The project of the deciding budget or policy; null when it is user-wide.';
comment on column app_public.request_decision.api_key_id is 'The API key of the deciding budget, when the budget applies to one key only.';
comment on column app_public.request_decision.period is 'Which limit: daily, monthly or request (budget); minute, hour, agent_minute or agent_hour (rate limits); approval (require_approval_above); provider, model or operation (allow and deny lists).';
comment on column app_public.request_decision."limit" is 'The limit that applied: an amount, or a number of requests for rate limits.';
comment on column app_public.request_decision.used is 'What was already used of the limit when the request came (spending, or requests in the window; for the balance: what is reserved).';
comment on column app_public.request_decision.requested is 'What the request asked for: its estimated cost, or 1 request for rate limits.';
comment on column app_public.request_decision.resets_at is 'When the period of a daily or monthly limit ends and its spending starts again.';
comment on column app_public.request_decision.retry_after_seconds is 'For rate limits: seconds until a request fits the window again.';

alter table app_public.requests add column decision app_public.request_decision;
comment on column app_public.requests.decision is
  'Why a request was rejected or is pending, in detail (scope, limit, used, requested, resetsAt, retryAfterSeconds); null when it was approved outright.';
grant select (decision) on app_public.requests to spendgate_user;

alter type app_public.budget_status
  add attribute live_holds integer,
  add attribute next_hold_expires_at timestamptz,
  add attribute next_reset_at timestamptz;
comment on column app_public.budget_status.live_holds is 'Number of outstanding requests holding a reservation on this budget (their amount is `reserved`).';
comment on column app_public.budget_status.next_hold_expires_at is 'When the first of those holds expires if it is not settled; null without holds.';
comment on column app_public.budget_status.next_reset_at is 'The next reset of this budget: the earlier of daily_resets_at and monthly_resets_at.';
