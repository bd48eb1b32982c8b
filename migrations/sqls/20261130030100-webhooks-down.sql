drop table app_public.webhook_deliveries;
drop table app_private.webhook_queue;
drop table app_private.webhook_secrets;
drop table app_public.webhooks;
