// The start-up sequence for a database (seed 004 M-2): apply pending migrations and changed
// definition files of sql/, then make sure the authenticator role can log in with the password
// this deployment uses. Migrations run with the lock_timeout and retries of MIGRATION_LOCK_*, and,
// when BACKUP_BEFORE_MIGRATE (the default in production), after a backup; a failed migration
// says where that backup is.
import pg from "pg";
import { takeBackup } from "../backup/take.ts";
import type { ConfigWith } from "../config.ts";
import type { Logger } from "../logger.ts";
import { AUTHENTICATOR_ROLE, EMBEDDED_DATABASE_NAME, type DatabaseTarget } from "./connect.ts";
import { assertConfirmedInProduction, pendingChanges, runMigrations, type MigrationCommand, type MigrationEvent } from "./migrate.ts";

export type MigrationSettings = ConfigWith<"database" | "backup">;

export interface MigrateOptions {
  onEvent?: (event: MigrationEvent) => void;
  /** Told once the backup taken before migrating is written. */
  onBackup?: (path: string) => void;
}

/** Returns what was applied (migrations and definition files of sql/). */
export async function prepareDatabase(target: DatabaseTarget, config: MigrationSettings, log: Logger, options: MigrateOptions = {}): Promise<MigrationEvent[]> {
  const events = await migrate(target, "up", config, log, options);
  log.info(
    {
      migrations: events.flatMap((event) => (event.type === "migrated" ? [event.migration] : [])),
      definitions: events.flatMap((event) => (event.type === "applied" ? [event.file] : [])),
    },
    "migrations applied",
  );
  if (target.authenticatorPassword) await setAuthenticatorPassword(target.ownerUrl, target.authenticatorPassword, log);
  return events;
}

/** up or down (one migration) with this deployment's migration settings, after a backup when asked for. */
export async function migrate(target: DatabaseTarget, command: MigrationCommand, config: MigrationSettings, log: Logger, options: MigrateOptions = {}): Promise<MigrationEvent[]> {
  const { migration } = config.database;
  let backup: string | undefined;
  if (migration.backupFirst && (command !== "up" || (await hasPendingChanges(target.ownerUrl)))) {
    // Asked now, so that an unconfirmed production run is refused before a backup is taken for nothing.
    assertConfirmedInProduction(command === "up" ? "apply pending migrations" : "roll back a migration");
    try {
      backup = (await takeBackup(target, config.backup, config.database.embeddedDir)).path;
    } catch (error) {
      throw new Error(`the backup before migrating failed, so nothing was migrated: ${(error as Error).message} (BACKUP_BEFORE_MIGRATE=false migrates without one)`);
    }
    log.info({ backup }, "backup taken before migrating");
    options.onBackup?.(backup);
  }
  try {
    return await runMigrations(target.ownerUrl, command, { onEvent: options.onEvent, lockTimeoutMs: migration.lockTimeoutMs, lockRetries: migration.lockRetries });
  } catch (error) {
    if (!backup) throw error;
    const database = target.embedded ? EMBEDDED_DATABASE_NAME : decodeURIComponent(new URL(target.ownerUrl).pathname.slice(1));
    throw new Error(`${(error as Error).message}; the backup taken before it: ${backup} (npm run db:restore -- ${backup} --replace-database ${database})`, { cause: error });
  }
}

async function hasPendingChanges(ownerUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const pending = await pendingChanges((sql) => client.query(sql));
    return pending.migrations.length > 0 || pending.definitions.length > 0;
  } finally {
    await client.end();
  }
}

async function setAuthenticatorPassword(ownerUrl: string, password: string, log: Logger): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(`alter role ${AUTHENTICATOR_ROLE} with login password ${client.escapeLiteral(password)}`);
  } catch (error) {
    // Without CREATEROLE the owner cannot set it; the DBA then sets it (see README).
    log.warn({ err: (error as Error).message }, `could not set the password of ${AUTHENTICATOR_ROLE}`);
  } finally {
    await client.end();
  }
}
