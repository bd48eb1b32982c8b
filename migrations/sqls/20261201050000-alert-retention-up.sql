-- Why: the alert outbox and the record of webhook attempts only grow; the daily job
-- prune_alert_history (sql/6800-alert-retention.sql) deletes what is older than
-- ALERT_RETENTION_DAYS. These indexes let it find those rows without reading the tables.
create index idx_alert_events_created_at on app_public.alert_events (created_at);
create index idx_webhook_deliveries_created_at on app_public.webhook_deliveries (created_at);
