// Runs the hand-written SQL migrations in migrations/ through db-migrate, and reports which are
// pending (readiness). Applying is serialised with a PostgreSQL advisory lock so that several
// instances starting at once do not race: the first migrates, the others wait and find nothing
// left to do.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { PROJECT_ROOT } from "../projectRoot.ts";

const require = createRequire(import.meta.url);

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "migrations");
const MIGRATION_LOCK_KEY = "spendgate:migrations";

export type MigrationCommand = "up" | "down" | "reset";

interface DbMigrateInstance {
  silence(quiet: boolean): void;
  up(): Promise<unknown>;
  down(count?: number): Promise<unknown>;
  reset(): Promise<unknown>;
}

/** Names of the migration files, in order, as db-migrate records them ("/<timestamp>-<name>"). */
export function migrationNames(): string[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((file) => file.endsWith(".js"))
    .sort()
    .map((file) => `/${file.replace(/\.js$/, "")}`);
}

export async function runMigrations(databaseUrl: string, command: MigrationCommand = "up"): Promise<void> {
  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query("select pg_advisory_lock(hashtext($1))", [MIGRATION_LOCK_KEY]);
    const instance = dbMigrate(databaseUrl);
    if (command === "down") await instance.down(1);
    else await instance[command]();
  } finally {
    await lock.end().catch(() => undefined); // ending the session releases the lock
  }
}

function dbMigrate(databaseUrl: string): DbMigrateInstance {
  const DBMigrate = require("db-migrate");
  const instance: DbMigrateInstance = DBMigrate.getInstance(true, {
    cwd: PROJECT_ROOT,
    env: "spendgate",
    // `url` (not separate fields): db-migrate would otherwise merge any DATABASE_URL of the
    // environment over the configuration given here.
    config: { spendgate: { driver: "pg", url: databaseUrl } },
    cmdOptions: { "migrations-dir": MIGRATIONS_DIR },
    throwUncatched: true,
  });
  instance.silence(true);
  return instance;
}

/** Migrations present on disk but not recorded as applied in the database. */
export async function pendingMigrations(query: (sql: string) => Promise<{ rows: { name: string }[] }>): Promise<string[]> {
  let applied: Set<string>;
  try {
    applied = new Set((await query("select name from public.migrations")).rows.map((row) => row.name));
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") applied = new Set(); // no history table yet
    else throw error;
  }
  return migrationNames().filter((name) => !applied.has(name));
}
