drop table app_public.payments;
