drop table app_public.user_profiles;
