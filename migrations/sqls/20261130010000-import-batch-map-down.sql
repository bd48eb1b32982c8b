alter table app_private.import_batches drop column map;
