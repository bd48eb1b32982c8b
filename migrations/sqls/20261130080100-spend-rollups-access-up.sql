-- Why: the rollups of 20261130080000 start empty while requests may already hold settled spend.
-- The trigger of sql/6700-spend-rollups.sql is in place by now (the runner applies that file
-- right after 20261130080000), so this rebuilds both rollups from requests under a lock that
-- keeps writers out until this transaction commits: nothing is counted twice or missed. Only then
-- are the rollups opened to the API roles (policies and grants).
select app_private.rebuild_spend_rollups();

create policy hide_deleted on app_public.daily_spend as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_own on app_public.daily_spend for select to spendgate_user
  using (user_id = (select app_public.current_user_id()));
create policy select_all on app_public.daily_spend for select to spendgate_operator
  using (true);
grant select (daily_spend_id, day, user_id, project_id, agent_id, api_provider, model_name,
  settled_requests, actual_cost, settled_cost, created_at, updated_at, deleted_at)
  on app_public.daily_spend to spendgate_user;

create policy hide_deleted on app_public.platform_daily_spend as restrictive for select
  using (deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted()));
create policy select_all on app_public.platform_daily_spend for select to spendgate_operator
  using (true);
grant select (platform_daily_spend_id, day, api_provider, model_name, shard, settled_requests, actual_cost,
  settled_cost, created_at, updated_at, deleted_at)
  on app_public.platform_daily_spend to spendgate_operator;
