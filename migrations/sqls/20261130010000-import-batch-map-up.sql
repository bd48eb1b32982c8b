-- Why: a file written by another system can be imported with a map of its field names and
-- defaults (`npm run import -- FILE --map MAP.json`). The map is part of what the batch did, so
-- it is kept with the batch: the same file and map reproduce the import.

alter table app_private.import_batches add column map jsonb check (jsonb_typeof(map) = 'object');
comment on column app_private.import_batches.map is 'The --map the batch was imported with (per array: rename, defaults), as validated; null without a map.';
