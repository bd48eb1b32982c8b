grant insert (current_daily_spending, current_monthly_spending), update (current_daily_spending, current_monthly_spending)
  on app_public.budgets to spendgate_admin;
grant update (total_spending, available_balance, total_requests, last_request_at)
  on app_public.users to spendgate_admin;

revoke update (name) on app_public.api_keys from spendgate_user;
revoke insert (user_id) on app_public.projects, app_public.budgets, app_public.policies from spendgate_user;
