-- Why: seed 000's budgets: spending limits of a user, for one project or (project_id null) for
-- all of the user's projects. The gateway reserves estimated costs against the current_*
-- counters; the reset_budgets job zeroes them when a period ends (UTC). Users set their limits;
-- counters and periods are written only by the gateway's functions, the job and admins.

create table app_public.budgets (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default app_public.current_user_id()
    references app_public.users (user_id) on delete cascade,
  project_id uuid references app_public.projects (project_id) on delete cascade,
  daily_limit numeric(20,8) check (daily_limit >= 0),
  monthly_limit numeric(20,8) check (monthly_limit >= 0),
  per_request_limit numeric(20,8) check (per_request_limit >= 0),
  current_daily_spending numeric(20,8) not null default 0 check (current_daily_spending >= 0),
  current_monthly_spending numeric(20,8) not null default 0 check (current_monthly_spending >= 0),
  period_start timestamptz not null default (date_trunc('month', now() at time zone 'utc') at time zone 'utc'),
  -- No default: a column default cannot see period_start, so _400_period fills it in.
  period_end timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  constraint budgets_period_end_after_start check (period_end > period_start)
);
create index idx_budgets_user_id on app_public.budgets (user_id);
create index idx_budgets_project_id on app_public.budgets (project_id);
create index idx_budgets_period_end on app_public.budgets (period_end);
-- One live budget per user and project; a null project (all projects) counts as one value.
create unique index idx_budgets_user_id_project_id on app_public.budgets (user_id, project_id)
  nulls not distinct where deleted_at is null;

comment on table app_public.budgets is 'Spending limits of a user, for one project or for all of the user''s projects, with the spending counted against them in the current periods.';
comment on column app_public.budgets.id is 'Unique identifier of the budget.';
comment on column app_public.budgets.user_id is 'The user whose spending the budget limits (defaults to the current user).';
comment on column app_public.budgets.project_id is 'The project the budget applies to; null means all of the user''s projects.';
comment on column app_public.budgets.daily_limit is 'Maximum spending per UTC day; null means no daily limit.';
comment on column app_public.budgets.monthly_limit is 'Maximum spending per period (a UTC calendar month by default); null means no monthly limit.';
comment on column app_public.budgets.per_request_limit is 'Maximum estimated cost of a single request; null means no per-request limit.';
comment on column app_public.budgets.current_daily_spending is 'Spending (reserved and settled) in the current UTC day.';
comment on column app_public.budgets.current_monthly_spending is 'Spending (reserved and settled) in the current period.';
comment on column app_public.budgets.period_start is 'Start of the current monthly period (default: start of the current UTC month).';
comment on column app_public.budgets.period_end is 'End of the current monthly period, exclusive (default: period_start plus one month, in UTC).';
comment on column app_public.budgets.created_at is 'When the budget was created.';
comment on column app_public.budgets.updated_at is 'When the budget was last changed.';
comment on column app_public.budgets.deleted_at is 'When the budget was soft-deleted; null while it applies.';

alter table app_public.budgets enable row level security;
create policy hide_deleted on app_public.budgets as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.budgets for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy insert_own on app_public.budgets for insert to spendgate_user
  with check (user_id = (select app_public.current_user_id()));
create policy update_own on app_public.budgets for update to spendgate_user
  using (user_id = (select app_public.current_user_id()))
  with check (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.budgets for select to spendgate_operator
  using (true);
create policy admin_all on app_public.budgets for all to spendgate_admin
  using (true) with check (true);

grant select (id, user_id, project_id, daily_limit, monthly_limit, per_request_limit,
  current_daily_spending, current_monthly_spending, period_start, period_end,
  created_at, updated_at, deleted_at) on app_public.budgets to spendgate_user;
grant insert (project_id, daily_limit, monthly_limit, per_request_limit) on app_public.budgets to spendgate_user;
grant update (project_id, daily_limit, monthly_limit, per_request_limit, deleted_at) on app_public.budgets to spendgate_user;
grant insert (user_id, project_id, daily_limit, monthly_limit, per_request_limit,
  current_daily_spending, current_monthly_spending, period_start, period_end) on app_public.budgets to spendgate_admin;
grant update (current_daily_spending, current_monthly_spending, period_start, period_end)
  on app_public.budgets to spendgate_admin;
