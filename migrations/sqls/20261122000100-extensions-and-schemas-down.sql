-- Restrict (no cascade): if anything is still in these schemas, a later migration's down is
-- incomplete and this must fail loudly instead of silently dropping it.
drop schema app_private;
drop schema app_public;
-- These two extensions belong to Spendgate on a Spendgate database (the up created them).
drop extension citext;
drop extension pgcrypto;
