// The definition files of sql/ and their runner (src/database/plan.ts, definitions.ts, migrate.ts),
// against real PostgreSQL: applying them again changes nothing, a changed file is re-applied and
// only it, what a file stops defining is dropped, a broken or misplaced file changes nothing and
// names itself, and a database migrated before sql/ existed takes them over unchanged.
// Tests that change files work on a copy of migrations/ and sql/ in a temporary folder.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { catalogFingerprint as fingerprint } from "../helpers/catalog.ts";
import { createEmptyDatabase } from "../helpers/database.ts";
import { DEFINITIONS_DIR, MIGRATIONS_DIR, pendingChanges, runMigrations, type MigrationEvent, type MigrationOptions } from "../../src/database/migrate.ts";
import { loadPlan } from "../../src/database/plan.ts";

const definitionFiles = loadPlan({ migrationsDir: MIGRATIONS_DIR, definitionsDir: DEFINITIONS_DIR }).flatMap((step) =>
  step.kind === "definition" ? [`sql/${step.file}`] : [],
);
const lastMigration = fs.readdirSync(MIGRATIONS_DIR).filter((file) => file.endsWith(".js")).sort().at(-1)!.replace(/\.js$/, "");

/** A copy of migrations/ and sql/ (definition files only) to change freely. */
function scratchDirs(t: { teardown(fn: () => void): void }): Required<Pick<MigrationOptions, "migrationsDir" | "definitionsDir">> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-definitions-"));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const migrationsDir = path.join(root, "migrations");
  const definitionsDir = path.join(root, "sql");
  fs.cpSync(MIGRATIONS_DIR, migrationsDir, { recursive: true });
  fs.mkdirSync(definitionsDir);
  for (const file of fs.readdirSync(DEFINITIONS_DIR).filter((name) => name.endsWith(".sql"))) {
    fs.copyFileSync(path.join(DEFINITIONS_DIR, file), path.join(definitionsDir, file));
  }
  return { migrationsDir, definitionsDir };
}

const applied = (events: MigrationEvent[]) => events.flatMap((event) => (event.type === "applied" ? [event.file] : []));

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the promise to be rejected");
}

const recordOf = async (pool: import("pg").Pool, file: string) =>
  (await pool.query("select sha256, objects, retired, applied_at from public.sql_definitions where file = $1", [file])).rows[0];

test("a database migrated before sql/ existed (migrations recorded, no sql_definitions) takes every file over unchanged; applying again changes nothing", async (t) => {
  const { url, pool } = await createEmptyDatabase(t);
  await runMigrations(url, "up");
  const migrated = await fingerprint(pool);
  const records = (await pool.query("select file, after_migration, sha256, objects from public.sql_definitions order by file")).rows;

  await pool.query("drop table public.sql_definitions");
  const takeover = await runMigrations(url, "up");
  t.deepEqual(applied(takeover), definitionFiles, "every file applies (create or replace), in plan order, and no migration runs");
  t.false(takeover.some((event) => event.type === "migrated"));
  t.deepEqual(await fingerprint(pool), migrated, "the functions, views and triggers are exactly what they were");
  t.deepEqual((await pool.query("select file, after_migration, sha256, objects from public.sql_definitions order by file")).rows, records);

  t.deepEqual(await runMigrations(url, "up"), [], "nothing changed, nothing applied");
  t.deepEqual(await fingerprint(pool), migrated);

  // Rollback works on such a database: the last migration with sql/ files after it goes down cleanly.
  await runMigrations(url, "reset");
  t.is((await pool.query("select count(*)::int as n from pg_namespace where nspname like 'app\\_%'")).rows[0].n, 0);
});

test("a changed file is re-applied, and only it; readiness names it until then", async (t) => {
  const dirs = scratchDirs(t);
  const { url, pool } = await createEmptyDatabase(t);
  await runMigrations(url, "up", dirs);
  const before = await fingerprint(pool);
  const untouched = await recordOf(pool, "3100-budget-resets.sql");

  const file = path.join(dirs.definitionsDir, "3500-budget-status.sql");
  const text = fs.readFileSync(file, "utf8");
  const comment = "'spent / lim in percent, 2 decimals; 100 for a zero limit, null without a limit.'";
  t.true(text.includes(comment));
  fs.writeFileSync(file, text.replace(comment, "'Share of a limit used, in percent.'"));
  t.deepEqual(await pendingChanges((sql) => pool.query(sql), dirs), { migrations: [], definitions: ["sql/3500-budget-status.sql"] });

  const events = await runMigrations(url, "up", dirs);
  t.deepEqual(applied(events), ["sql/3500-budget-status.sql"]);
  const after = await fingerprint(pool);
  const changed = after.filter((line) => !before.includes(line));
  t.is(changed.length, 1);
  t.regex(changed[0]!, /^function app_private\.percent_used\(numeric,numeric\) .* Share of a limit used, in percent\./);
  t.deepEqual(await recordOf(pool, "3100-budget-resets.sql"), untouched, "other files are not re-applied");
  t.deepEqual(await pendingChanges((sql) => pool.query(sql), dirs), { migrations: [], definitions: [] });
});

test("what a file no longer defines is dropped: an old argument list, a deleted file; a renamed file keeps its objects", async (t) => {
  const dirs = scratchDirs(t);
  const { url, pool } = await createEmptyDatabase(t);
  const probe = path.join(dirs.definitionsDir, "9000-probe.sql");
  const write = (file: string, body: string) => fs.writeFileSync(file, `-- after: ${lastMigration}\n-- Why: a test probe.\n\n${body}\n`);
  const functions = async () =>
    (await pool.query("select p.oid::regprocedure::text as f from pg_proc p where proname like 'layout\\_probe%' order by 1")).rows.map((row) => row.f);

  write(probe, "create or replace function app_private.layout_probe(a integer) returns integer language sql immutable as $$ select a $$;");
  await runMigrations(url, "up", dirs);
  t.deepEqual(await functions(), ["app_private.layout_probe(integer)"]);

  write(probe, "create or replace function app_private.layout_probe(a integer, b integer) returns integer language sql immutable as $$ select a + b $$;");
  const changed = await runMigrations(url, "up", dirs);
  t.deepEqual(applied(changed), ["sql/9000-probe.sql"]);
  t.deepEqual(changed.at(-1), { type: "retired", objects: ["function app_private.layout_probe(integer)"] });
  t.deepEqual(await functions(), ["app_private.layout_probe(integer,integer)"], "the old overload is gone");

  const renamed = path.join(dirs.definitionsDir, "9100-probe-renamed.sql");
  fs.renameSync(probe, renamed);
  t.deepEqual(applied(await runMigrations(url, "up", dirs)), ["sql/9100-probe-renamed.sql"]);
  t.deepEqual(await functions(), ["app_private.layout_probe(integer,integer)"], "kept: the renamed file defines it");
  t.deepEqual((await recordOf(pool, "9100-probe-renamed.sql")).objects, ["function app_private.layout_probe(integer,integer)"]);
  t.is(await recordOf(pool, "9000-probe.sql"), undefined);

  fs.rmSync(renamed);
  const removed = await runMigrations(url, "up", dirs);
  t.deepEqual(removed, [{ type: "retired", objects: ["function app_private.layout_probe(integer,integer)"] }]);
  t.deepEqual(await functions(), []);
  t.is(await recordOf(pool, "9100-probe-renamed.sql"), undefined);
});

test("a broken file changes nothing and names itself, its line and its statement", async (t) => {
  const dirs = scratchDirs(t);
  const { url, pool } = await createEmptyDatabase(t);
  await runMigrations(url, "up", dirs);
  const before = await fingerprint(pool);
  const record = await recordOf(pool, "3200-submit-request.sql");

  const file = path.join(dirs.definitionsDir, "3200-submit-request.sql");
  const text = fs.readFileSync(file, "utf8");
  // An edit that would apply, then a statement that fails: neither may stay.
  const edited = text.replace("language plpgsql volatile", "language plpgsql volatile cost 200") +
    "\ncreate or replace function app_public.broken() returns integer\n  language sql stable\nas $$ select no_such_column from app_public.users $$;\n";
  fs.writeFileSync(file, edited);
  const brokenLine = edited.split("\n").findIndex((line) => line.includes("no_such_column")) + 1;

  const message = await rejection(runMigrations(url, "up", dirs));
  t.regex(message, new RegExp(`^sql/3200-submit-request\\.sql:${brokenLine}: column "no_such_column" does not exist`));
  t.regex(message, new RegExp(`in the statement starting on line ${brokenLine - 2}: create or replace function app_public\\.broken\\(\\)`));
  t.regex(message, /Nothing of sql\/3200-submit-request\.sql was applied/);
  t.deepEqual(await fingerprint(pool), before);
  t.deepEqual(await recordOf(pool, "3200-submit-request.sql"), record);
  t.deepEqual((await pendingChanges((sql) => pool.query(sql), dirs)).definitions, ["sql/3200-submit-request.sql"]);
});

test("a file whose header names an unknown migration, or no migration, stops the run before anything runs", async (t) => {
  const dirs = scratchDirs(t);
  const { url, pool } = await createEmptyDatabase(t);
  const empty = await fingerprint(pool);

  fs.writeFileSync(path.join(dirs.definitionsDir, "9000-misplaced.sql"), "-- after: 20991231000000-no-such-migration\n-- Why: a test.\nselect 1;\n");
  const unknown = await rejection(runMigrations(url, "up", dirs));
  t.regex(unknown, /^sql\/9000-misplaced\.sql: its header "-- after: 20991231000000-no-such-migration" names no migration in migrations\//);
  t.deepEqual(await fingerprint(pool), empty, "not even the migrations ran");

  fs.writeFileSync(path.join(dirs.definitionsDir, "9000-misplaced.sql"), "-- Why: a test without a header.\nselect 1;\n");
  t.regex(await rejection(runMigrations(url, "up", dirs)), /^sql\/9000-misplaced\.sql: no "-- after: <migration>" line in the comments that open the file/);
  t.deepEqual(await fingerprint(pool), empty);
});

test("the plan refuses names out of order, objects defined by two files, and statements that belong in a migration", async (t) => {
  const dirs = scratchDirs(t);
  const { url, pool } = await createEmptyDatabase(t);
  const empty = await fingerprint(pool);
  const extra = (file: string, after: string, body: string) =>
    fs.writeFileSync(path.join(dirs.definitionsDir, file), `-- after: ${after}\n-- Why: a test.\n\n${body}\n`);

  extra("0500-late.sql", lastMigration, "select 1;");
  t.regex(
    await rejection(runMigrations(url, "up", dirs)),
    // Names the file placed before it that it sorts before (which one depends on the files of sql/).
    new RegExp(`^sql/0500-late\\.sql \\(after ${lastMigration}\\) sorts before sql/\\d{4}-[a-z0-9-]+\\.sql \\(after \\d{14}-[a-z0-9-]+\\) but is applied after it`),
  );
  fs.rmSync(path.join(dirs.definitionsDir, "0500-late.sql"));

  extra("9000-table.sql", lastMigration, "select 1;\n\ncreate table app_public.nope (id int);");
  t.regex(await rejection(runMigrations(url, "up", dirs)), /^sql\/9000-table\.sql:6: create table app_public\.nope \(id int\): not in a definition file \(tables, types/);
  extra("9000-table.sql", lastMigration, "create function app_private.f() returns int language sql as $$ select 1 $$;");
  t.regex(await rejection(runMigrations(url, "up", dirs)), /^sql\/9000-table\.sql:4: .*not in a definition file \(write `create or replace`/);
  fs.rmSync(path.join(dirs.definitionsDir, "9000-table.sql"));
  t.deepEqual(await fingerprint(pool), empty, "refused before anything ran");

  await runMigrations(url, "up", dirs);
  const before = await fingerprint(pool);
  const original = fs.readFileSync(path.join(dirs.definitionsDir, "3100-budget-resets.sql"), "utf8");
  const localDayStart = original.slice(original.indexOf("create or replace function app_private.local_day_start"), original.indexOf("comment on function app_private.local_day_start"));
  extra("9000-duplicate.sql", lastMigration, localDayStart);
  t.regex(
    await rejection(runMigrations(url, "up", dirs)),
    /^sql\/9000-duplicate\.sql: function app_private\.local_day_start\(timestamp with time zone,text\) is already defined by sql\/3100-budget-resets\.sql/,
  );
  t.deepEqual(await fingerprint(pool), before);
});

test.serial("in production a changed file is refused without CONFIRM_PRODUCTION_MIGRATION=true", async (t) => {
  const dirs = scratchDirs(t);
  const { url, pool } = await createEmptyDatabase(t);
  await runMigrations(url, "up", dirs);
  const file = path.join(dirs.definitionsDir, "0600-users.sql");
  fs.appendFileSync(file, "-- touched\n");
  const saved = { NODE_ENV: process.env.NODE_ENV, CONFIRM: process.env.CONFIRM_PRODUCTION_MIGRATION };
  process.env.NODE_ENV = "production";
  delete process.env.CONFIRM_PRODUCTION_MIGRATION;
  try {
    t.regex(await rejection(runMigrations(url, "up", dirs)), /^refusing to apply sql\/0600-users\.sql against a production database .*CONFIRM_PRODUCTION_MIGRATION=true/);
    process.env.CONFIRM_PRODUCTION_MIGRATION = "true";
    t.deepEqual(applied(await runMigrations(url, "up", dirs)), ["sql/0600-users.sql"]);
  } finally {
    process.env.NODE_ENV = saved.NODE_ENV;
    if (saved.CONFIRM === undefined) delete process.env.CONFIRM_PRODUCTION_MIGRATION;
    else process.env.CONFIRM_PRODUCTION_MIGRATION = saved.CONFIRM;
  }
  t.deepEqual((await pendingChanges((sql) => pool.query(sql), dirs)).definitions, []);
});
