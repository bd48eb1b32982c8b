comment on column app_public.budgets.period_start is 'Start of the current monthly period (default: start of the current UTC month).';
comment on column app_public.requests.endpoint is 'The provider endpoint or operation to call.';
drop index app_public.idx_requests_agent_id;
