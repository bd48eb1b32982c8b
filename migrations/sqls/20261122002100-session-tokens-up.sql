-- Why: rotate_session() (sql/2100-session-tokens.sql) reports the outcome of a refresh as a
-- value rather than an exception, so that the revocation of a reused token's family commits.

create type app_private.rotation_outcome as enum ('rotated', 'invalid', 'expired', 'reused', 'inactive');
comment on type app_private.rotation_outcome is
  'Result of rotate_session: rotated, invalid (unknown token), expired, reused (family revoked), inactive (account not active).';
