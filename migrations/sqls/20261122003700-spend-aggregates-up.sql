-- Why: clients read spend through @graphile/pg-aggregates (aggregates / groupedAggregates on the
-- requests, payments and budgets connections). pg-aggregates offers a column as a group-by key
-- only when the column may be ordered by, and PostGraphile 5 allows ordering only on indexed
-- columns. Already indexed, hence groupable: requests (user_id, project_id, api_provider,
-- model_name, status, created_at), payments (user_id, request_id, currency, status, created_at),
-- budgets (user_id, project_id, period_end). Added here:
-- * requests.agent_id: spend per agent; an index, since dashboards filter by it too.
-- * requests.endpoint and budgets.period_start: a behavior tag instead of an index. An index on
--   period_start would slow every monthly reset (it changes on each), and both are only grouped
--   over a user's own, RLS-filtered rows.

create index idx_requests_agent_id on app_public.requests (agent_id);

comment on column app_public.requests.endpoint is
  E'@behavior +orderBy +filterBy +attribute:groupBy\nThe provider endpoint or operation to call.';
comment on column app_public.budgets.period_start is
  E'@behavior +orderBy +filterBy +attribute:groupBy\nStart of the current monthly period (default: start of the current UTC month).';
