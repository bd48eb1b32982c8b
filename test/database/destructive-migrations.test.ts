// Seed 002 REQ-007: in production a migration that drops a table, column, type or schema,
// truncates, or rewrites a table by changing a column's type runs only when
// CONFIRM_DESTRUCTIVE_MIGRATION names it; rolling back (a down that drops) needs the same.
import { createRequire } from "node:module";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { DEFINITIONS_DIR, MIGRATIONS_DIR, runMigrations } from "../../src/database/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

const loader = createRequire(import.meta.url)(path.join(MIGRATIONS_DIR, "sql-migration.cjs")) as {
  destructiveChanges(sql: string): string[];
};
const CREATE = "20261130069901-create-probe";
const DROP = "20261130069902-drop-probe";

test("the expand/contract example: the expand is not destructive, the contract is", async (t) => {
  const example = (name: string) => fs.readFile(path.join(MIGRATIONS_DIR, "..", "docs", "expand-contract", `${name}-up.sql`), "utf8");
  t.deepEqual(loader.destructiveChanges(await example("20261130060000-project-summaries")), []);
  t.deepEqual(loader.destructiveChanges(await example("20261130060100-retire-project-descriptions")), ["drops a column"]);
});

test("what counts as destructive, comments aside", (t) => {
  t.deepEqual(loader.destructiveChanges("drop table app_public.t;"), ["drops a table"]);
  t.deepEqual(loader.destructiveChanges("alter table t drop column c;"), ["drops a column"]);
  t.deepEqual(loader.destructiveChanges("alter table t drop c;"), ["drops a column"]);
  t.deepEqual(loader.destructiveChanges("drop type app_public.kind;"), ["drops a type"]);
  t.deepEqual(loader.destructiveChanges("alter table t alter column c type bigint;"), ["changes a column's type (rewrites the table)"]);
  t.deepEqual(loader.destructiveChanges("truncate app_public.t;"), ["truncates a table"]);
  for (const harmless of ["alter table t add column c int;", "alter table t drop constraint c;", "alter table t alter column c drop default;", "alter table t alter column c drop not null;", "drop policy p on t;", "drop function f();", "-- drop table t\nselect 1;"]) {
    t.deepEqual(loader.destructiveChanges(harmless), [], harmless);
  }
});

let db: TestDatabase;
let migrationsDir: string;
test.before(async () => {
  db = await createTestDatabase();
  migrationsDir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-migrations-"));
  await fs.cp(MIGRATIONS_DIR, migrationsDir, { recursive: true });
  const migration = async (name: string, up: string, down: string) => {
    await fs.writeFile(path.join(migrationsDir, `${name}.js`), 'module.exports = require("./sql-migration.cjs")(__filename);\n');
    await fs.writeFile(path.join(migrationsDir, "sqls", `${name}-up.sql`), up);
    await fs.writeFile(path.join(migrationsDir, "sqls", `${name}-down.sql`), down);
  };
  await migration(CREATE, "create table app_public.probe (id int);\n", "drop table app_public.probe;\n");
  await migration(DROP, "-- Why: the probe is retired.\ndrop table app_public.probe;\n", "create table app_public.probe (id int);\n");
});
test.after.always(async () => {
  await db?.drop();
  if (migrationsDir) await fs.rm(migrationsDir, { recursive: true, force: true });
});

async function inProduction(env: Record<string, string>, fn: () => Promise<unknown>): Promise<unknown> {
  const saved = { ...process.env };
  Object.assign(process.env, { NODE_ENV: "production", CONFIRM_PRODUCTION_MIGRATION: "true" }, env);
  try {
    return await fn();
  } finally {
    for (const key of ["NODE_ENV", "CONFIRM_PRODUCTION_MIGRATION", "CONFIRM_DESTRUCTIVE_MIGRATION"]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}

/** The refusal's message (db-migrate rejects with a Bluebird OperationalError wrapping our Error). */
const refusal = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (error: { message?: string; cause?: { message?: string } }) => error.cause?.message ?? error.message ?? String(error),
  );

const migrate = (command: "up" | "down") => runMigrations(db.ownerUrl, command, { migrationsDir, definitionsDir: DEFINITIONS_DIR });
const probeExists = async () => (await db.ownerPool.query("select to_regclass('app_public.probe') is not null as e")).rows[0].e as boolean;

test.serial("a destructive up is refused until CONFIRM_DESTRUCTIVE_MIGRATION names it; another name does not do", async (t) => {
  t.is(
    await refusal(inProduction({ CONFIRM_DESTRUCTIVE_MIGRATION: "20261130069999-another" }, () => migrate("up"))),
    `refusing to run migration ${DROP} (up) against a production database: it drops a table; take a backup, then set CONFIRM_DESTRUCTIVE_MIGRATION=${DROP} to confirm`,
  );
  t.true(await probeExists(), "the harmless migration before it was applied, the destructive one not");
  await inProduction({ CONFIRM_DESTRUCTIVE_MIGRATION: `x, ${DROP}` }, () => migrate("up"));
  t.false(await probeExists());
});

test.serial("rolling back in production: a down that drops needs the same confirmation", async (t) => {
  await inProduction({}, () => migrate("down")); // DROP's down re-creates the table: nothing destructive
  t.true(await probeExists());
  t.regex(await refusal(inProduction({}, () => migrate("down"))), new RegExp(`refusing to run migration ${CREATE} \\(down\\) .*it drops a table.*CONFIRM_DESTRUCTIVE_MIGRATION=${CREATE}`));
  t.true(await probeExists());
  await inProduction({ CONFIRM_DESTRUCTIVE_MIGRATION: CREATE }, () => migrate("down"));
  t.false(await probeExists());
  await migrate("up"); // outside production nothing is asked
  t.false(await probeExists());
});
