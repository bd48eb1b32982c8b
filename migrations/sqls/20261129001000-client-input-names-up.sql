-- Why: the API must say what a client really has to send and name identifiers the way clients
-- read them. Two smart tags, no column changes (the seeds' names stay):
-- * `@name <table>_id` on the three `id` columns: PostGraphile's Amber preset calls a bare `id`
--   column `rowId` (the Node interface owns `id`); clients get `budgetId`, `policyId` and
--   `apiKeyId`, like every other table's `<entity>Id`, in arguments, inputs and outputs alike.
-- * `@hasDefault` on budgets.period_end: it is NOT NULL and has no column default because a default
--   cannot see period_start, so the `_400_period` trigger fills it in. Without the tag the
--   column is a required `Datetime!` in BudgetInput, and a client could not create a budget
--   with limits only.

comment on column app_public.budgets.id is E'@name budget_id\nUnique identifier of the budget.';
comment on column app_public.policies.id is E'@name policy_id\nUnique identifier of the policy.';
comment on column app_public.api_keys.id is E'@name api_key_id\nUnique identifier of the key (auto-increment).';
comment on column app_public.budgets.period_end is
  E'@hasDefault\nEnd of the current monthly period, exclusive (default: period_start plus one month, in UTC).';
