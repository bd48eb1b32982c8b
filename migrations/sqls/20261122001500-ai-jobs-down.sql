drop table app_public.ai_jobs;
