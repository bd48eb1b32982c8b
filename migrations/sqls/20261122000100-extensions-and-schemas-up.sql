-- Why: everything else lives in these two schemas and uses these two extensions.
--
-- app_public  is the schema PostGraphile exposes: tables, enums and functions the API may offer.
-- app_private is never exposed: trigger functions, the soft-delete audit log, internal helpers.
--             API roles get USAGE on it only so that RLS policies and triggers can call the
--             few helper functions granted to them; no table in it is granted to an API role.
--
-- pgcrypto: crypt()/gen_salt() for password hashes, digest() for key hashes.
-- citext:   case-insensitive emails.
-- Both are trusted extensions (a database owner may create them). They go into `public`, which
-- every pinned search_path below includes.

create extension if not exists pgcrypto with schema public;
create extension if not exists citext with schema public;

create schema app_public;
comment on schema app_public is 'Spendgate data model exposed by PostGraphile: tables, enums and functions of the API.';

create schema app_private;
comment on schema app_private is 'Spendgate internals never exposed by the API: trigger functions, audit log, helpers.';

-- Nobody but the owner may create objects here; the API roles get USAGE in the roles migration.
revoke all on schema app_public from public;
revoke all on schema app_private from public;
