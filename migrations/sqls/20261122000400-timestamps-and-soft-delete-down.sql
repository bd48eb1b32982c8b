drop table app_private.soft_delete_log;
