-- Why: the column grants decide what a client may write; they must allow what a client is
-- entitled to and nothing that bypasses the spend ledger.
-- * Owners may name themselves: a user (and the operators and admins who inherit the user
--   policies) may pass its own user_id to createProject / createBudget / createPolicy.
--   Whose row it becomes is decided by the `insert_own` policies' WITH CHECK, not by a column
--   grant that refused even the caller's own id. Another user's id is still refused (by RLS).
-- * A user may rename its own API keys (the name is the user's label for the key).
-- * Balances, spend counters and request counts move only through the functions that account
--   for them (completePayment credits available_balance; submitRequest / completeRequest and
--   the budget reset move spending), for admins too: a direct write would make the ledger
--   (migration 20261122003000) disagree with the payments and requests behind it. Without any
--   API role able to write them, these columns leave the generated inputs altogether.

grant insert (user_id) on app_public.projects, app_public.budgets, app_public.policies to spendgate_user;
grant update (name) on app_public.api_keys to spendgate_user;

revoke update (total_spending, available_balance, total_requests, last_request_at)
  on app_public.users from spendgate_admin;
revoke insert (current_daily_spending, current_monthly_spending), update (current_daily_spending, current_monthly_spending)
  on app_public.budgets from spendgate_admin;
