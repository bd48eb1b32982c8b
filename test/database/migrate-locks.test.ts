// Migrations never stall traffic behind a lock they wait for (seed 004: zero downtime): with
// lock_timeout, an ALTER TABLE stuck behind a long transaction gives up, its queued readers go
// on, and the migration is tried again, a bounded number of times.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import pg from "pg";
import { DEFINITIONS_DIR, MIGRATIONS_DIR, runMigrations, type MigrationEvent } from "../../src/database/migrate.ts";
import { createTestDatabase, waitUntilBlocked, type TestDatabase } from "../helpers/database.ts";

// Dated after every real migration: no definition file is placed after it, so applying it re-applies none.
const PROBE = "29991231000000-lock-probe";

async function migrationsWithProbe(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-migrations-"));
  await fs.cp(MIGRATIONS_DIR, dir, { recursive: true });
  await fs.writeFile(path.join(dir, `${PROBE}.js`), 'module.exports = require("./sql-migration.cjs")(__filename);\n');
  await fs.writeFile(path.join(dir, "sqls", `${PROBE}-up.sql`), "alter table app_public.projects add column lock_probe text;\n");
  await fs.writeFile(path.join(dir, "sqls", `${PROBE}-down.sql`), "alter table app_public.projects drop column lock_probe;\n");
  return dir;
}

let db: TestDatabase;
let migrationsDir: string;
test.before(async () => {
  db = await createTestDatabase();
  migrationsDir = await migrationsWithProbe();
});
test.after.always(async () => {
  await db?.drop();
  if (migrationsDir) await fs.rm(migrationsDir, { recursive: true, force: true });
});

/** A session reading projects in an open transaction: an ALTER TABLE must wait for it. */
async function longTransaction(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  await client.query("begin");
  await client.query("select count(*) from app_public.projects");
  return client;
}

test.serial("a migration waiting for a lock gives up after lock_timeout, so reads queued behind it go on; it fails after its retries", async (t) => {
  const blocker = await longTransaction();
  t.teardown(() => blocker.end());
  const events: MigrationEvent[] = [];
  const migrating = runMigrations(db.ownerUrl, "up", { migrationsDir, definitionsDir: DEFINITIONS_DIR, lockTimeoutMs: 300, lockRetries: 1, onEvent: (e) => events.push(e) });
  migrating.catch(() => undefined);
  await waitUntilBlocked(db.ownerPool, { count: 1 }); // the ALTER TABLE waits for the blocker
  // This read queues behind the ALTER's lock request; it is answered while the blocker is still open.
  const { rows } = await db.ownerPool.query("select count(*)::int as n from app_public.projects");
  t.is(rows[0].n, 0);
  const error = await t.throwsAsync(migrating);
  t.regex(error!.message, /lock timeout/);
  t.deepEqual(events, [{ type: "lock busy", step: PROBE, attempt: 1, retries: 1, delayMs: 200 }]);
  await blocker.query("rollback");
  const { rows: columns } = await db.ownerPool.query("select 1 from information_schema.columns where table_name = 'projects' and column_name = 'lock_probe'");
  t.is(columns.length, 0, "nothing of it was applied");
});

test.serial("once the long transaction ends, the retry applies it", async (t) => {
  const blocker = await longTransaction();
  t.teardown(() => blocker.end());
  const events: MigrationEvent[] = [];
  await runMigrations(db.ownerUrl, "up", {
    migrationsDir,
    definitionsDir: DEFINITIONS_DIR,
    lockTimeoutMs: 300,
    lockRetries: 5,
    onEvent: (event) => {
      events.push(event);
      if (event.type === "lock busy") void blocker.query("commit");
    },
  });
  t.deepEqual(events.map((event) => event.type), ["lock busy", "migrated"]);
  const { rows } = await db.ownerPool.query("select 1 from information_schema.columns where table_name = 'projects' and column_name = 'lock_probe'");
  t.is(rows.length, 1);
});
