-- Why: zero data loss (seed 004 D-2). A legacy record's fields that have no column, and the
-- original JSON text of mapped fields a column cannot reproduce exactly (a timestamp written
-- "2024-01-02 03:04:05", a number written 1.50), are kept on the row in `legacy`, so that
-- `npm run export-legacy` writes every record back as it came. Shape (docs/legacy-import.md):
--   {"id": <legacy id, original JSON type>, "extra": {field: value}, "raw": {field: "<JSON text>"},
--    "absent": [mapped fields missing from the record]}
-- Null on rows that were not imported. Hidden from the API (no grant, and a smart tag because
-- a superuser-introspected schema would show it anyway): it is importer bookkeeping whose shape
-- is no API contract, and legacy fields may hold data of unknown sensitivity.

alter table app_public.users add column legacy jsonb check (jsonb_typeof(legacy) = 'object');
alter table app_public.projects add column legacy jsonb check (jsonb_typeof(legacy) = 'object');
alter table app_public.ai_jobs add column legacy jsonb check (jsonb_typeof(legacy) = 'object');
alter table app_public.sessions add column legacy jsonb check (jsonb_typeof(legacy) = 'object');

comment on column app_public.users.legacy is E'@behavior -select -insert -update -filterBy -orderBy\nLegacy import: fields of the unified_data.json record with no column, and original texts; null if not imported.';
comment on column app_public.projects.legacy is E'@behavior -select -insert -update -filterBy -orderBy\nLegacy import: fields of the unified_data.json record with no column, and original texts; null if not imported.';
comment on column app_public.ai_jobs.legacy is E'@behavior -select -insert -update -filterBy -orderBy\nLegacy import: fields of the unified_data.json record with no column, and original texts; null if not imported.';
comment on column app_public.sessions.legacy is E'@behavior -select -insert -update -filterBy -orderBy\nLegacy import: fields of the unified_data.json record with no column, and original texts; null if not imported.';
