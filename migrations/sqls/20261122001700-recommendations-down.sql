drop table app_public.recommendations;
drop function app_private.tg_recommendations__decision();
