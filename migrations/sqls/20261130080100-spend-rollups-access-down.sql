-- The rollups' data stays (derived, and kept by the trigger since); the down of 20261130080000
-- drops it with the tables.
revoke select on app_public.platform_daily_spend from spendgate_operator;
drop policy select_all on app_public.platform_daily_spend;
drop policy hide_deleted on app_public.platform_daily_spend;
revoke select on app_public.daily_spend from spendgate_user;
drop policy select_all on app_public.daily_spend;
drop policy select_own on app_public.daily_spend;
drop policy hide_deleted on app_public.daily_spend;
