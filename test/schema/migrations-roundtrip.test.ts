// Migration discipline (issue 3 item 8): on a brand-new database every migration goes up (with the
// definition files of sql/ placed after it), comes down leaving exactly what was there before it,
// and goes up again; after a full reset nothing of ours is left but the runner's bookkeeping
// tables. The fingerprint (test/helpers/catalog.ts) compares definitions, not only names: policy
// expressions, trigger, function and view definitions. Migrations refuse to run against
// production without CONFIRM_PRODUCTION_MIGRATION=true (seed 002 REQ-007), in both directions.
// Serial: the production tests change process.env (ava gives each file its own process).
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { catalogFingerprint as fingerprint } from "../helpers/catalog.ts";
import { createEmptyDatabase } from "../helpers/database.ts";
import { MIGRATIONS_DIR, migrationNames, runMigrations } from "../../src/database/migrate.ts";

test.serial("every migration's down removes exactly what its up added, and it can be applied again", async (t) => {
  const { url, pool } = await createEmptyDatabase(t);
  for (const name of migrationNames()) {
    const before = await fingerprint(pool);
    await runMigrations(url, "up", { count: 1 });
    const after = await fingerprint(pool);
    t.notDeepEqual(after, before, `${name} up (with the sql/ files placed after it) changes something`);
    await runMigrations(url, "down", { count: 1 });
    t.deepEqual(await fingerprint(pool), before, `${name} down restores the schema`);
    await runMigrations(url, "up", { count: 1 });
    t.deepEqual(await fingerprint(pool), after, `${name} up again gives the same schema`);
  }
});

test.serial("all migrations go up, all come down leaving only the runner's bookkeeping tables, and go up again", async (t) => {
  const { url, pool } = await createEmptyDatabase(t);
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
  t.deepEqual(leftovers.map((r) => r.name), [
    "public.migrations",
    "public.migrations_id_seq",
    "public.migrations_pkey",
    "public.sql_definitions",
    "public.sql_definitions_pkey",
  ]);
  t.is((await pool.query("select * from public.sql_definitions")).rowCount, 0);
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
  const { url, pool } = await createEmptyDatabase(t);
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
  const { url, pool } = await createEmptyDatabase(t);
  await withEnv({ NODE_ENV: "production", CONFIRM_PRODUCTION_MIGRATION: "true" }, () => runMigrations(url, "up"));
  const migrated = await fingerprint(pool);
  t.true(migrated.some((line) => line.startsWith("schema app_public ")));

  const error = await withEnv({ NODE_ENV: "production", CONFIRM_PRODUCTION_MIGRATION: "yes" }, () =>
    rejection(runMigrations(url, "down")),
  );
  t.regex(error, /refusing to run migration .* \(down\) against a production database/);
  t.deepEqual(await fingerprint(pool), migrated, "nothing was rolled back");
});

test.serial("the fingerprint compares definitions: a down that restores a different policy fails the round trip", async (t) => {
  // A throw-away migrations folder: the first migration creates a table with a policy, the second
  // tightens the policy, and its down "restores" it with a different expression (same name).
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-fingerprint-"));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const migrationsDir = path.join(root, "migrations");
  fs.mkdirSync(path.join(migrationsDir, "sqls"), { recursive: true });
  fs.copyFileSync(path.join(MIGRATIONS_DIR, "sql-migration.cjs"), path.join(migrationsDir, "sql-migration.cjs"));
  const migration = (name: string, up: string, down: string) => {
    fs.writeFileSync(path.join(migrationsDir, `${name}.js`), 'module.exports = require("./sql-migration.cjs")(__filename);\n');
    fs.writeFileSync(path.join(migrationsDir, "sqls", `${name}-up.sql`), up);
    fs.writeFileSync(path.join(migrationsDir, "sqls", `${name}-down.sql`), down);
  };
  migration(
    "20990101000100-probe",
    "create schema probe;\ncreate table probe.t (id int, owner name);\nalter table probe.t enable row level security;\n" +
      "create policy own on probe.t for select using (owner = current_user);\n",
    "drop table probe.t;\ndrop schema probe;\n",
  );
  migration(
    "20990101000200-tighten",
    "alter policy own on probe.t using (owner = current_user and id > 0);\n",
    "alter policy own on probe.t using (owner = session_user);\n",
  );
  const options = { migrationsDir, definitionsDir: path.join(root, "sql"), count: 1 };
  const { url, pool } = await createEmptyDatabase(t);
  await runMigrations(url, "up", options);
  const before = await fingerprint(pool);
  await runMigrations(url, "up", options);
  await runMigrations(url, "down", options);
  const after = await fingerprint(pool);

  t.notDeepEqual(after, before, "the round trip fails");
  t.deepEqual(before.filter((line) => !after.includes(line)), ["policy probe.t own cmd=r permissive=true roles={public} using=(owner = CURRENT_USER) check="]);
  t.deepEqual(after.filter((line) => !before.includes(line)), ["policy probe.t own cmd=r permissive=true roles={public} using=(owner = SESSION_USER) check="]);
});
