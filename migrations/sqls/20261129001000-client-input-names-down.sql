comment on column app_public.budgets.period_end is 'End of the current monthly period, exclusive (default: period_start plus one month, in UTC).';
comment on column app_public.api_keys.id is 'Unique identifier of the key (auto-increment).';
comment on column app_public.policies.id is 'Unique identifier of the policy.';
comment on column app_public.budgets.id is 'Unique identifier of the budget.';
