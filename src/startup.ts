// What every entry point (`npm start` and each command-line tool) does before its own work, in
// one place: read the parts of the configuration it uses (exit 2 listing every problem), reach
// PostgreSQL (DATABASE_URL, or the embedded server; exit 1 with one clear line when it cannot) and
// apply pending migrations (seed 004 M-2); and, when done, let go of the embedded server.
import { ConfigError, loadConfigSections, type ConfigSection, type ConfigWith } from "./config.ts";
import { openDatabase, type DatabaseTarget } from "./database/connect.ts";
import { prepareDatabase } from "./database/prepare.ts";
import type { Logger } from "./logger.ts";

/** Ends the process with one plain line on stderr, without a stack trace. */
export function exitWith(message: string, code = 1): never {
  console.error(`spendgate: ${message}`);
  process.exit(code);
}

export function loadConfigOrExit<K extends ConfigSection>(sections: readonly K[]): ConfigWith<K> {
  try {
    return loadConfigSections(sections);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exitWith(error.message, 2);
  }
}

/** Reaches PostgreSQL and, unless told otherwise (or MIGRATE_ON_START=false), applies pending migrations. */
export async function openDatabaseOrExit(
  config: ConfigWith<"database" | "backup">,
  log: Logger,
  options: { migrate?: boolean } = {},
): Promise<DatabaseTarget> {
  let database: DatabaseTarget;
  try {
    database = await openDatabase(config.database, log);
  } catch (error) {
    exitWith((error as Error).message);
  }
  if (options.migrate ?? config.database.migration.onStart) {
    try {
      await prepareDatabase(database, config, log);
    } catch (error) {
      log.error({ err: error }, "migrations failed");
      await closeDatabase(database);
      exitWith(`migrations failed: ${(error as Error).message}`);
    }
  }
  return database;
}

/**
 * Lets go of the embedded server: stops it unless another process (a gateway, a tool) still uses
 * it. Nothing to do for DATABASE_URL. Close this process's own connections first.
 */
export async function closeDatabase(database: DatabaseTarget): Promise<void> {
  await database.embedded?.release();
}
