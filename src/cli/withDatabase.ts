// What every command-line tool does around its work: the start-up helper (src/startup.ts) with
// only the database part of the configuration (plus any part the tool names), then the tool's
// work, then the embedded server is let go. Tools print their own human-readable output, so the
// log shows only warnings unless LOG_LEVEL asks for more.
import type { ConfigSection, ConfigWith } from "../config.ts";
import type { DatabaseTarget } from "../database/connect.ts";
import { createLogger, type Logger } from "../logger.ts";
import { closeDatabase, loadConfigOrExit, openDatabaseOrExit } from "../startup.ts";

export interface CliContext<K extends ConfigSection> {
  config: ConfigWith<K | "database" | "backup">;
  log: Logger;
  database: DatabaseTarget;
}

export interface CliOptions<K extends ConfigSection> {
  /** Parts of the configuration the tool uses besides `database`. */
  sections?: readonly K[];
  /** Apply pending migrations first (default: MIGRATE_ON_START, true unless set). */
  migrate?: boolean;
}

export async function withDatabase<T, K extends ConfigSection = "database">(
  fn: (context: CliContext<K>) => Promise<T>,
  options: CliOptions<K> = {},
): Promise<T> {
  // backup: migrations may take one first (BACKUP_BEFORE_MIGRATE).
  const config = loadConfigOrExit<K | "database" | "backup">(["database", "backup", ...(options.sections ?? [])]);
  const log = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
  const database = await openDatabaseOrExit(config, log, { migrate: options.migrate });
  try {
    return await fn({ config, log, database });
  } finally {
    await closeDatabase(database);
  }
}

/** For tools that only need the owner connection. */
export const withOwnerDatabase = <T>(fn: (ownerUrl: string) => Promise<T>): Promise<T> =>
  withDatabase(({ database }) => fn(database.ownerUrl));
