// `npm run db:new -- NAME` writes a migration whose stubs repeat the layout rule, and which the
// runner accepts with a definition file placed after it (tested in a temporary migrations folder,
// never in the repository's). What db:migrate and db:rollback print: test/io/migrate-cli.test.ts.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createEmptyDatabase } from "../helpers/database.ts";
import { DEFINITIONS_DIR, MIGRATIONS_DIR, runMigrations } from "../../src/database/migrate.ts";
import { createMigration } from "../../src/database/newMigration.ts";

test("db:new writes the wrapper and up/down stubs that remind of the layout rule; the runner accepts the result", async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-db-new-"));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const migrationsDir = path.join(root, "migrations");
  const definitionsDir = path.join(root, "sql");
  fs.cpSync(MIGRATIONS_DIR, migrationsDir, { recursive: true });
  fs.cpSync(DEFINITIONS_DIR, definitionsDir, { recursive: true });

  const files = await createMigration("budget-alerts", migrationsDir, new Date("2099-01-02T03:04:05Z"));
  t.deepEqual(files, [
    "migrations/20990102030405-budget-alerts.js",
    "migrations/sqls/20990102030405-budget-alerts-up.sql",
    "migrations/sqls/20990102030405-budget-alerts-down.sql",
  ]);
  const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
  t.is(read(files[0]!), 'module.exports = require("./sql-migration.cjs")(__filename);\n');
  const up = read(files[1]!);
  t.regex(up, /^-- Why: /);
  t.regex(up, /Functions, views and triggers do NOT go here/);
  t.regex(up, /`-- after: 20990102030405-budget-alerts`/);
  t.regex(read(files[2]!), /dropped by\n-- the migration runner before this runs: do not drop them here/);
  t.false(fs.existsSync(path.join(MIGRATIONS_DIR, "20990102030405-budget-alerts.js")), "nothing written into the repository");

  // The new migration and a definition file placed after it run.
  fs.writeFileSync(
    path.join(definitionsDir, "9000-budget-alerts.sql"),
    "-- after: 20990102030405-budget-alerts\n-- Why: a test.\n\ncreate or replace function app_private.budget_alerts_probe() returns integer language sql immutable as $$ select 1 $$;\n",
  );
  const { url, pool } = await createEmptyDatabase(t);
  const events = await runMigrations(url, "up", { migrationsDir, definitionsDir });
  t.deepEqual(events.slice(-2), [
    { type: "migrated", migration: "20990102030405-budget-alerts" },
    { type: "applied", file: "sql/9000-budget-alerts.sql", objects: ["function app_private.budget_alerts_probe()"] },
  ]);
  t.is((await pool.query("select app_private.budget_alerts_probe() as n")).rows[0].n, 1);

  await t.throwsAsync(createMigration("budget-alerts", migrationsDir, new Date("2099-01-02T03:04:05Z")), { code: "EEXIST" });
  await t.throwsAsync(createMigration("Budget Alerts", migrationsDir), { message: /usage: npm run db:new -- NAME/ });
});
