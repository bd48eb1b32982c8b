drop index app_public.idx_requests_user_id_rejected;
drop sequence app_private.alert_event_seq;
drop table app_public.alert_events;
drop type app_public.alert_event_kind;
