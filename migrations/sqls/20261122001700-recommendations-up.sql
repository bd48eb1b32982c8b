-- Why: seed 003's recommendations: education content and partner offers generated for a user.
-- Each one is reviewed by an operator before the user sees it: users read only their approved
-- recommendations, operators read all and approve or reject; who decided and when is stamped by
-- a trigger from the operator's identity, not taken from input.

create table app_public.recommendations (
  recommendation_id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (user_id) on delete cascade,
  type app_public.recommendation_type not null,
  title text not null,
  content text,
  rationale text,
  status app_public.recommendation_status not null default 'pending',
  decision_trace jsonb not null default '{}',
  created_at timestamptz not null default now(),
  approved_at timestamptz,
  approved_by uuid references app_public.users (user_id) on delete set null,
  rejected_at timestamptz,
  rejected_by uuid references app_public.users (user_id) on delete set null,
  rejection_reason text,
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
-- Seed 003's indexes, composite included, plus the two reviewer foreign keys.
create index idx_recommendations_user_id on app_public.recommendations (user_id);
create index idx_recommendations_status on app_public.recommendations (status);
create index idx_recommendations_created_at on app_public.recommendations (created_at);
create index idx_recommendations_approved_at on app_public.recommendations (approved_at);
create index idx_recommendations_user_id_status on app_public.recommendations (user_id, status);
create index idx_recommendations_approved_by on app_public.recommendations (approved_by);
create index idx_recommendations_rejected_by on app_public.recommendations (rejected_by);

comment on table app_public.recommendations is 'An education item or partner offer generated for a user; shown to the user only once an operator approved it.';
comment on column app_public.recommendations.recommendation_id is 'Unique identifier of the recommendation.';
comment on column app_public.recommendations.user_id is 'The user the recommendation is for.';
comment on column app_public.recommendations.type is 'Kind of recommendation (education or partner_offer).';
comment on column app_public.recommendations.title is 'Headline shown to the user.';
comment on column app_public.recommendations.content is 'Body of the recommendation.';
comment on column app_public.recommendations.rationale is 'Why the user gets this recommendation, in words the user can read.';
comment on column app_public.recommendations.status is 'Review state (pending, approved, rejected).';
comment on column app_public.recommendations.decision_trace is 'How the recommendation was produced (signals, rules), as JSON, for review and audit.';
comment on column app_public.recommendations.created_at is 'When the recommendation was generated.';
comment on column app_public.recommendations.approved_at is 'When an operator approved it; set automatically.';
comment on column app_public.recommendations.approved_by is 'The operator who approved it; set automatically.';
comment on column app_public.recommendations.rejected_at is 'When an operator rejected it; set automatically.';
comment on column app_public.recommendations.rejected_by is 'The operator who rejected it; set automatically.';
comment on column app_public.recommendations.rejection_reason is 'Why the operator rejected it.';
comment on column app_public.recommendations.updated_at is 'When the recommendation was last changed.';
comment on column app_public.recommendations.deleted_at is 'When the recommendation was soft-deleted by an admin; null otherwise.';

alter table app_public.recommendations enable row level security;
create policy hide_deleted on app_public.recommendations as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own_approved on app_public.recommendations for select to spendgate_user
  using (user_id = (select app_public.current_user_id()) and status = 'approved');
create policy select_all on app_public.recommendations for select to spendgate_operator
  using (true);
create policy operator_decide on app_public.recommendations for update to spendgate_operator
  using (true) with check (true);
create policy admin_all on app_public.recommendations for all to spendgate_admin
  using (true) with check (true);

grant select (recommendation_id, user_id, type, title, content, rationale, status, decision_trace,
  created_at, approved_at, approved_by, rejected_at, rejected_by, rejection_reason, updated_at, deleted_at)
  on app_public.recommendations to spendgate_user;
grant update (status, rejection_reason) on app_public.recommendations to spendgate_operator;
grant insert (user_id, type, title, content, rationale, status, decision_trace, rejection_reason)
  on app_public.recommendations to spendgate_admin;
grant update (type, title, content, rationale, decision_trace, deleted_at) on app_public.recommendations to spendgate_admin;
