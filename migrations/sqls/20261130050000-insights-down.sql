drop table app_private.phone_verifications;

revoke select (phone_verified_at) on app_public.users from spendgate_user;
alter table app_public.users drop column phone_verified_at;

create policy operator_decide on app_public.recommendations for update to spendgate_operator
  using (true) with check (true);
-- Re-granted in the original order (the column ACLs list grantees in grant order).
revoke insert (status, rejection_reason) on app_public.recommendations from spendgate_admin;
grant update (status, rejection_reason) on app_public.recommendations to spendgate_operator;
grant insert (status, rejection_reason) on app_public.recommendations to spendgate_admin;
revoke insert (rule) on app_public.recommendations from spendgate_admin;
revoke select (rule) on app_public.recommendations from spendgate_user;
drop index app_public.idx_recommendations_user_id_rule_pending;
alter table app_public.recommendations
  drop constraint recommendations_rejection_reason,
  drop column rule;
