drop table app_private.legacy_ids;
