// Runs the migration plan (plan.ts): the versioned migrations of migrations/ through db-migrate,
// one at a time, and the definition files of sql/ placed between them (definitions.ts).
//
// up:    walks the plan; applies each pending migration, and each definition file whose SHA-256
//        differs from the recorded one or that comes after a migration applied in this run. At
//        the end, drops what no file defines any more.
// down:  rolls back the migration db-migrate would roll back (the most recently run): first the
//        objects of the definition files placed after it are dropped, then its down runs.
// reset: down until no migration is left.
//
// Everything runs under one PostgreSQL advisory lock, so that several instances starting at once
// do not race: the first migrates, the others wait and find nothing left to do. Each migration
// and each definition file is its own transaction.
//
// Zero downtime (seed 004): every statement runs with lock_timeout (MIGRATION_LOCK_TIMEOUT_MS).
// An ALTER TABLE waiting behind a long transaction would otherwise hold every query on that table
// queued behind its own lock request; with the timeout it gives up, its transaction rolls back,
// traffic flows again, and the step is tried again later (MIGRATION_LOCK_RETRIES times, backing off).
import { createRequire } from "node:module";
import path from "node:path";
import pg from "pg";
import { PROJECT_ROOT } from "../projectRoot.ts";
import {
  applyDefinition,
  dropDefinitionsAfter,
  dropRetiredDefinitions,
  pendingDefinitionFiles,
  readDefinitionRecords,
  type DefinitionState,
} from "./definitions.ts";
import { loadPlan, migrationStepNames, type DefinitionStep, type PlanDirs, type PlanStep } from "./plan.ts";

const require = createRequire(import.meta.url);

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "migrations");
export const DEFINITIONS_DIR = path.join(PROJECT_ROOT, "sql");
const MIGRATION_LOCK_KEY = "spendgate:migrations";

export type MigrationCommand = "up" | "down" | "reset";

export interface MigrationOptions extends Partial<PlanDirs> {
  /** up: apply at most this many pending migrations (and the files up to the next one); down: roll back this many (default 1). */
  count?: number;
  /** Called as each step is done (the CLI prints them). */
  onEvent?: (event: MigrationEvent) => void;
  /** lock_timeout of every statement (0: none, wait for locks as long as it takes). */
  lockTimeoutMs?: number;
  /** How many times a step that hit lock_timeout is tried again. */
  lockRetries?: number;
}

export type MigrationEvent =
  | { type: "migrated"; migration: string }
  | { type: "applied"; file: string; objects: string[] }
  | { type: "dropped"; file: string }
  | { type: "retired"; objects: string[] }
  | { type: "rolled back"; migration: string }
  | { type: "lock busy"; step: string; attempt: number; retries: number; delayMs: number };

/** One line per event, as `npm run db:migrate` / `db:rollback` print them. */
export function describeEvent(event: MigrationEvent): string {
  switch (event.type) {
    case "migrated":
      return `migrated     ${event.migration}`;
    case "applied":
      return `applied      ${event.file} (${event.objects.length} ${event.objects.length === 1 ? "object" : "objects"})`;
    case "dropped":
      return `dropped      ${event.file} (its functions, views and triggers)`;
    case "retired":
      return `dropped      ${event.objects.join(", ")} (no file defines ${event.objects.length === 1 ? "it" : "them"} any more)`;
    case "rolled back":
      return `rolled back  ${event.migration}`;
    case "lock busy":
      return `lock busy    ${event.step}: gave up waiting (lock_timeout), rolled back; retry ${event.attempt} of ${event.retries} in ${event.delayMs} ms`;
  }
}

interface DbMigrateInstance {
  silence(quiet: boolean): void;
  up(count: number): Promise<unknown>;
  down(count: number): Promise<unknown>;
}

/** Names of the migration files, in order, as db-migrate records them ("/<timestamp>-<name>"). */
export function migrationNames(migrationsDir = MIGRATIONS_DIR): string[] {
  return migrationStepNames(migrationsDir).map((name) => `/${name}`);
}

export async function runMigrations(databaseUrl: string, command: MigrationCommand = "up", options: MigrationOptions = {}): Promise<MigrationEvent[]> {
  const dirs: PlanDirs = { migrationsDir: options.migrationsDir ?? MIGRATIONS_DIR, definitionsDir: options.definitionsDir ?? DEFINITIONS_DIR };
  const plan = loadPlan(dirs); // before taking the lock: a broken plan changes nothing
  const events: MigrationEvent[] = [];
  const emit = (event: MigrationEvent) => {
    events.push(event);
    options.onEvent?.(event);
  };
  const lockTimeoutMs = options.lockTimeoutMs ?? 0;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock(hashtext($1))", [MIGRATION_LOCK_KEY]);
    await client.query(`set lock_timeout = ${Math.trunc(lockTimeoutMs)}`); // after taking the advisory lock, which may wait for another instance
    const run: Run = {
      client,
      plan,
      dirs,
      db: dbMigrate(withLockTimeout(databaseUrl, lockTimeoutMs), dirs.migrationsDir),
      state: await definitionState(client, plan, dirs),
      emit,
      retrying: (step, fn) => retryOnLockTimeout(step, fn, options.lockRetries ?? 0, emit),
    };
    if (command === "up") await up(run, options.count ?? Number.POSITIVE_INFINITY);
    else await down(run, command === "reset" ? Number.POSITIVE_INFINITY : (options.count ?? 1));
  } finally {
    await client.end().catch(() => undefined); // ending the session releases the lock
  }
  return events;
}

interface Run {
  client: pg.Client;
  plan: PlanStep[];
  dirs: PlanDirs;
  db: DbMigrateInstance;
  state: DefinitionState;
  emit(event: MigrationEvent): void;
  /** Runs one step (its own transaction), again when it gave up waiting for a lock. */
  retrying<T>(step: string, fn: () => Promise<T>): Promise<T>;
}

const LOCK_NOT_AVAILABLE = "55P03";

async function retryOnLockTimeout<T>(step: string, fn: () => Promise<T>, retries: number, emit: (event: MigrationEvent) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isLockTimeout(error) || attempt > retries) throw error;
      const delayMs = Math.min(200 * 2 ** (attempt - 1), 10_000);
      emit({ type: "lock busy", step, attempt, retries, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** lock_timeout's error, also as the cause of a DefinitionError (which names the file and line). */
function isLockTimeout(error: unknown): boolean {
  const { code, cause } = error as { code?: string; cause?: unknown };
  return code === LOCK_NOT_AVAILABLE || (cause !== undefined && isLockTimeout(cause));
}

/** The URL with lock_timeout as a connection option, for db-migrate's own connection. */
function withLockTimeout(databaseUrl: string, lockTimeoutMs: number): string {
  const url = new URL(databaseUrl);
  url.searchParams.set("options", `-c lock_timeout=${Math.trunc(lockTimeoutMs)}`);
  return url.toString();
}

async function up(run: Run, count: number): Promise<void> {
  const applied = new Set(await appliedMigrations(run.client));
  let migrated = 0;
  for (const step of run.plan) {
    if (step.kind === "migration") {
      if (applied.has(step.name)) continue;
      if (migrated === count) break;
      await run.retrying(step.name, () => run.db.up(1));
      const newest = await appliedMigrations(run.client);
      if (!newest.includes(step.name)) throw new Error(`db-migrate did not apply ${step.name} (is another migration with the same timestamp in ${run.dirs.migrationsDir}?)`);
      applied.add(step.name);
      migrated += 1;
      run.emit({ type: "migrated", migration: step.name });
    } else if (migrated > 0 || run.state.records.get(step.file)?.sha256 !== step.sha256) {
      assertConfirmedInProduction(`apply ${step.label}`);
      const objects = await run.retrying(step.label, () => applyDefinition(run.client, run.state, step));
      run.emit({ type: "applied", file: step.label, objects });
    }
  }
  const retired = await dropRetiredDefinitions(run.client, run.state);
  if (retired.length > 0) run.emit({ type: "retired", objects: retired });
}

async function down(run: Run, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1) {
    // The one db-migrate's down(1) picks: the most recently run.
    const { rows } = await run.client
      .query<{ name: string }>("select name from public.migrations order by run_on desc, name desc limit 1")
      .catch((error) => {
        if (error.code === "42P01") return { rows: [] as { name: string }[] }; // never migrated
        throw error;
      });
    const last = rows[0]?.name.replace(/^\//, "");
    if (!last) return;
    assertConfirmedInProduction(`run migration ${last} (down)`);
    for (const file of await run.retrying(last, () => dropDefinitionsAfter(run.client, run.state, last))) run.emit({ type: "dropped", file: run.state.label(file) });
    await run.retrying(last, () => run.db.down(1));
    run.emit({ type: "rolled back", migration: last });
  }
}

async function appliedMigrations(client: pg.Client): Promise<string[]> {
  try {
    return (await client.query<{ name: string }>("select name from public.migrations")).rows.map((row) => row.name.replace(/^\//, ""));
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return []; // no history table yet
    throw error;
  }
}

async function definitionState(client: pg.Client, plan: PlanStep[], dirs: PlanDirs): Promise<DefinitionState> {
  const files = plan.filter((step): step is DefinitionStep => step.kind === "definition");
  return {
    records: await readDefinitionRecords((sql) => client.query(sql)),
    onDisk: new Map(files.map((step) => [step.file, step.sha256])),
    label: (file) => `${path.basename(dirs.definitionsDir)}/${file}`,
  };
}

// Seed 002 REQ-007: the same confirmation the migrations' loader asks for (migrations/sql-migration.cjs).
export function assertConfirmedInProduction(action: string): void {
  require(path.join(MIGRATIONS_DIR, "sql-migration.cjs")).assertConfirmedInProduction(action);
}

function dbMigrate(databaseUrl: string, migrationsDir: string): DbMigrateInstance {
  const DBMigrate = require("db-migrate");
  const instance: DbMigrateInstance = DBMigrate.getInstance(true, {
    cwd: PROJECT_ROOT,
    env: "spendgate",
    // `url` (not separate fields): db-migrate would otherwise merge any DATABASE_URL of the
    // environment over the configuration given here.
    config: { spendgate: { driver: "pg", url: databaseUrl } },
    cmdOptions: { "migrations-dir": migrationsDir },
    throwUncatched: true,
  });
  instance.silence(true);
  return instance;
}

export interface PendingChanges {
  /** Migrations on disk not recorded as applied ("/<timestamp>-<name>", as db-migrate records them). */
  migrations: string[];
  /** Definition files of sql/ not applied in their current version, or gone from sql/ but still recorded. */
  definitions: string[];
}

/** What `up` would apply (readiness): pending migrations and definition files. */
export async function pendingChanges(query: (sql: string) => Promise<{ rows: Record<string, unknown>[] }>, dirs: Partial<PlanDirs> = {}): Promise<PendingChanges> {
  const plan = loadPlan({ migrationsDir: dirs.migrationsDir ?? MIGRATIONS_DIR, definitionsDir: dirs.definitionsDir ?? DEFINITIONS_DIR });
  let applied: Set<string>;
  try {
    applied = new Set((await query("select name from public.migrations")).rows.map((row) => String(row.name)));
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") applied = new Set(); // no history table yet
    else throw error;
  }
  const files = plan.filter((step): step is DefinitionStep => step.kind === "definition");
  return {
    migrations: plan.filter((step) => step.kind === "migration").map((step) => `/${step.name}`).filter((name) => !applied.has(name)),
    definitions: pendingDefinitionFiles({ records: await readDefinitionRecords(query), onDisk: new Map(files.map((step) => [step.file, step.sha256])) }).map(
      (file) => `${path.basename(dirs.definitionsDir ?? DEFINITIONS_DIR)}/${file}`,
    ),
  };
}

/**
 * Migrations recorded as applied that this code does not have: a newer release migrated the
 * database (readiness: the database is ahead; expand/contract keeps that safe for this code).
 */
export async function unknownMigrations(query: (sql: string) => Promise<{ rows: Record<string, unknown>[] }>, migrationsDir = MIGRATIONS_DIR): Promise<string[]> {
  const known = new Set(migrationNames(migrationsDir));
  try {
    return (await query("select name from public.migrations order by name")).rows.map((row) => String(row.name)).filter((name) => !known.has(name));
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return []; // no history table yet
    throw error;
  }
}
