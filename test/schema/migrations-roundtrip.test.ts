// Migration discipline (issue 3 item 8): on a brand-new database every migration goes up, comes
// down leaving exactly what was there before it, and goes up again; after a full reset nothing of
// ours is left but db-migrate's history table. Migrations refuse to run against production
// without CONFIRM_PRODUCTION_MIGRATION=true (seed 002 REQ-007), in both directions.
// Serial: the production tests change process.env (ava gives each file its own process).
import test from "ava";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import pg from "pg";
import { databaseUrl, withServerClient } from "../helpers/database.ts";
import { MIGRATIONS_DIR, migrationNames, runMigrations } from "../../src/database/migrate.ts";
import { PROJECT_ROOT } from "../../src/projectRoot.ts";

const require = createRequire(import.meta.url);

interface DbMigrate {
  silence(quiet: boolean): void;
  up(count?: number): Promise<unknown>;
  down(count?: number): Promise<unknown>;
}

function dbMigrate(url: string): DbMigrate {
  const DBMigrate = require("db-migrate");
  const instance: DbMigrate = DBMigrate.getInstance(true, {
    cwd: PROJECT_ROOT,
    env: "roundtrip",
    config: { roundtrip: { driver: "pg", url } },
    cmdOptions: { "migrations-dir": MIGRATIONS_DIR },
    throwUncatched: true,
  });
  instance.silence(true);
  return instance;
}

/** A brand-new, empty database (from template0), dropped when the test ends. */
async function freshDatabase(t: { teardown(fn: () => Promise<void>): void }): Promise<{ url: string; pool: pg.Pool }> {
  const name = `spendgate_roundtrip_${randomBytes(6).toString("hex")}`;
  await withServerClient((client) => client.query(`create database ${name} template template0`));
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  t.teardown(async () => {
    await pool.end();
    await withServerClient((client) => client.query(`drop database if exists ${name} with (force)`));
  });
  return { url, pool };
}

// Everything a migration can add to a database (roles are cluster-wide and deliberately kept),
// as sorted lines, ignoring db-migrate's own history table. Privileges are compared by meaning:
// a null ACL and an explicit ACL equal to the default are the same.
const FINGERPRINT = `
with ns as (
  select oid, nspname from pg_namespace
   where nspname not like 'pg\\_%' and nspname <> 'information_schema'
), lines as (
  select 'schema ' || nspname || ' ' || (select coalesce(nspacl, acldefault('n', nspowner))::text from pg_namespace p where p.oid = ns.oid) as line from ns
  union all select 'extension ' || extname from pg_extension
  union all select 'class ' || c.oid::regclass::text || ' ' || c.relkind::text || ' rls=' || c.relrowsecurity || ' ' || coalesce(c.relacl, acldefault('r', c.relowner))::text
              || ' ' || coalesce(obj_description(c.oid, 'pg_class'), '')
    from pg_class c join ns on ns.oid = c.relnamespace where c.relname not like 'migrations%'
  union all select 'column ' || c.oid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
              || ' notnull=' || a.attnotnull || ' ' || coalesce(a.attacl::text, '') || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
              || ' ' || coalesce(col_description(c.oid, a.attnum), '')
    from pg_attribute a join pg_class c on c.oid = a.attrelid join ns on ns.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
   where a.attnum > 0 and not a.attisdropped and c.relname not like 'migrations%'
  union all select 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    from pg_constraint where connamespace in (select oid from ns) and conname not like 'migrations%'
  union all select 'type ' || t.oid::regtype::text from pg_type t join ns on ns.oid = t.typnamespace
   where t.typname not like '%migrations'
  union all select 'enum ' || enumtypid::regtype::text || ' ' || enumlabel from pg_enum
  union all select 'function ' || p.oid::regprocedure::text || ' ' || coalesce(p.proacl, acldefault('f', p.proowner))::text || ' ' || md5(p.prosrc)
    from pg_proc p join ns on ns.oid = p.pronamespace
  union all select 'policy ' || polrelid::regclass::text || ' ' || polname from pg_policy
  union all select 'trigger ' || tgrelid::regclass::text || ' ' || tgname from pg_trigger where not tgisinternal
  union all select 'event trigger ' || evtname from pg_event_trigger
  union all select 'default acl ' || defaclacl::text from pg_default_acl
)
select coalesce(array_agg(line order by line), '{}') as lines from lines`;

async function fingerprint(pool: pg.Pool): Promise<string[]> {
  return (await pool.query(FINGERPRINT)).rows[0].lines;
}

test.serial("every migration's down removes exactly what its up added, and it can be applied again", async (t) => {
  const { url, pool } = await freshDatabase(t);
  const dbm = dbMigrate(url);
  for (const name of migrationNames()) {
    const before = await fingerprint(pool);
    await dbm.up(1);
    const after = await fingerprint(pool);
    t.notDeepEqual(after, before, `${name} up changes something`);
    await dbm.down(1);
    t.deepEqual(await fingerprint(pool), before, `${name} down restores the schema`);
    await dbm.up(1);
    t.deepEqual(await fingerprint(pool), after, `${name} up again gives the same schema`);
  }
});

test.serial("all migrations go up, all come down leaving only db-migrate's history table, and go up again", async (t) => {
  const { url, pool } = await freshDatabase(t);
  const empty = await fingerprint(pool);
  await runMigrations(url, "up");
  const { rows: [{ tables }] } = await pool.query(
    "select count(*)::int as tables from pg_class where relnamespace = 'app_public'::regnamespace and relkind = 'r'",
  );
  t.true(tables >= 13);
  const migrated = await fingerprint(pool);

  await runMigrations(url, "reset");
  t.deepEqual(await fingerprint(pool), empty, "nothing of ours is left");
  const { rows: leftovers } = await pool.query(
    `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema' order by 1`,
  );
  t.deepEqual(leftovers.map((r) => r.name), ["public.migrations", "public.migrations_id_seq", "public.migrations_pkey"]);
  const { rows: [{ schemas }] } = await pool.query(
    "select count(*)::int as schemas from pg_namespace where nspname in ('app_public', 'app_private')",
  );
  t.is(schemas, 0);
  t.is((await pool.query("select * from public.migrations")).rowCount, 0);
  const { rows: [{ roles }] } = await pool.query("select count(*)::int as roles from pg_roles where rolname like 'spendgate\\_%'");
  t.true(roles >= 5, "roles are cluster-wide and stay for the other databases");

  await runMigrations(url, "up");
  t.deepEqual(await fingerprint(pool), migrated);
  t.is((await pool.query("select * from public.migrations")).rowCount, migrationNames().length);
});

/** The message a promise rejects with (db-migrate rejects with bluebird errors, not Error instances). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const { message, cause } = error as { message?: string; cause?: { message?: string } };
    return message || cause?.message || String(error);
  }
  throw new Error("expected the promise to be rejected");
}

async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(env);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

test.serial("with NODE_ENV=production and no confirmation, migrating is refused and changes nothing", async (t) => {
  const { url, pool } = await freshDatabase(t);
  const before = await fingerprint(pool);
  const error = await withEnv({ NODE_ENV: "production", CONFIRM_PRODUCTION_MIGRATION: undefined }, () =>
    rejection(runMigrations(url, "up")),
  );
  t.regex(
    error,
    /refusing to run migration 20261122000100-extensions-and-schemas \(up\) against a production database .*CONFIRM_PRODUCTION_MIGRATION=true/,
  );
  t.deepEqual(await fingerprint(pool), before);
  t.false((await fingerprint(pool)).some((line) => line.startsWith("schema app_")));
  const history = await pool.query("select * from public.migrations").catch(() => ({ rowCount: 0 }));
  t.is(history.rowCount, 0);
});

test.serial("with CONFIRM_PRODUCTION_MIGRATION=true production migrates; rolling back needs the same confirmation", async (t) => {
  const { url, pool } = await freshDatabase(t);
  await withEnv({ NODE_ENV: "production", CONFIRM_PRODUCTION_MIGRATION: "true" }, () => runMigrations(url, "up"));
  const migrated = await fingerprint(pool);
  t.true(migrated.some((line) => line.startsWith("schema app_public ")));

  const error = await withEnv({ NODE_ENV: "production", CONFIRM_PRODUCTION_MIGRATION: "yes" }, () =>
    rejection(runMigrations(url, "down")),
  );
  t.regex(error, /refusing to run migration .* \(down\) against a production database/);
  t.deepEqual(await fingerprint(pool), migrated, "nothing was rolled back");
});
