-- Why: the gateway connects as one login role and switches, per request and per transaction,
-- to the role of the caller (`set local role ...`); RLS policies and column grants are written
-- against these roles.
--
-- Roles are CLUSTER-WIDE while migrations run per database: many databases on one server (the
-- parallel test databases cloned from a template, several deployments) share them. So they are
-- created only when missing (and a concurrent creator is tolerated), and the down migration never
-- drops them: it only revokes what this up granted inside this database.
--
--   spendgate_authenticator  LOGIN NOINHERIT, owns nothing, cannot bypass RLS: the API pool
--                            connects as it and can do nothing until it switches role.
--   spendgate_anonymous      requests without credentials.
--   spendgate_user           an authenticated user (users.role = 'user').
--   spendgate_operator       reads everything, decides on requests and recommendations.
--   spendgate_admin          everything, including seeing and restoring soft-deleted rows.
--
-- Hierarchy: admin ⊃ operator ⊃ user (privileges and policies are inherited); anonymous is apart.
-- Creating roles needs CREATEROLE (or a DBA creates them beforehand: then this only checks).
-- Set the authenticator's password outside migrations: alter role spendgate_authenticator password '...';

do $$
declare
  r text;
begin
  foreach r in array array['spendgate_anonymous', 'spendgate_user', 'spendgate_operator', 'spendgate_admin'] loop
    if not exists (select from pg_catalog.pg_roles where rolname = r) then
      begin
        execute format('create role %I nologin', r);
      exception when duplicate_object or unique_violation then
        null; -- created concurrently by a migration of another database
      end;
    end if;
  end loop;

  if not exists (select from pg_catalog.pg_roles where rolname = 'spendgate_authenticator') then
    begin
      create role spendgate_authenticator login noinherit nobypassrls nosuperuser nocreatedb nocreaterole;
    exception when duplicate_object or unique_violation then
      null;
    end;
  end if;
  -- An authenticator that can bypass RLS or inherits its roles' privileges defeats the model.
  if exists (
    select from pg_catalog.pg_roles
    where rolname = 'spendgate_authenticator' and (rolinherit or rolbypassrls or rolsuper)
  ) then
    alter role spendgate_authenticator noinherit nobypassrls nosuperuser;
  end if;
end
$$;

do $$
declare
  m record;
begin
  for m in
    select * from (values
      ('spendgate_user', 'spendgate_operator'),
      ('spendgate_operator', 'spendgate_admin'),
      ('spendgate_anonymous', 'spendgate_authenticator'),
      ('spendgate_user', 'spendgate_authenticator'),
      ('spendgate_operator', 'spendgate_authenticator'),
      ('spendgate_admin', 'spendgate_authenticator')
    ) as t(granted, member)
  loop
    if not pg_catalog.pg_has_role(m.member, m.granted, 'member') then
      begin
        execute format('grant %I to %I', m.granted, m.member);
      exception when duplicate_object or unique_violation then
        null;
      end;
    end if;
  end loop;
end
$$;

-- What this database grants them (this is what the down revokes).
grant usage on schema app_public to spendgate_anonymous, spendgate_user, spendgate_operator, spendgate_admin;
-- Only so that policies and triggers can call the helper functions granted one by one later.
grant usage on schema app_private to spendgate_anonymous, spendgate_user, spendgate_operator, spendgate_admin;
