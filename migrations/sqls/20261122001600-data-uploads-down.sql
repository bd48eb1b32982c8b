drop table app_public.data_uploads;
