drop table app_private.import_batches;
