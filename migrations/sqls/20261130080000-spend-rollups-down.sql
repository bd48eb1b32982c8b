drop table app_public.platform_daily_spend;
drop table app_public.daily_spend;
