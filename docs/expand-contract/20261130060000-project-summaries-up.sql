-- Why: projects get a one-line summary, shown in lists, beside the free-text description.
-- Expand (release N): additive only. Gateways of release N-1 keep serving while it is applied
-- and afterwards (their queries name their columns); they never see the new column.
alter table app_public.projects add column summary text;
comment on column app_public.projects.summary is 'One-line summary of the project, shown in lists.';
grant select (summary), insert (summary), update (summary) on app_public.projects to spendgate_user;
