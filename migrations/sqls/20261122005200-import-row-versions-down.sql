drop table app_private.import_row_versions;
