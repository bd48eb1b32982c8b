// What every command-line tool does around its work: read the configuration (exit 2 with the
// problems when it is invalid), reach PostgreSQL exactly like `npm start` (DATABASE_URL, or the
// embedded server when it is not set; exit 1 with one clear line when unreachable), apply pending
// migrations, run, and stop the embedded server again.
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { openDatabase, type DatabaseTarget } from "../database/connect.ts";
import { prepareDatabase } from "../database/prepare.ts";
import { createLogger, type Logger } from "../logger.ts";

export interface CliContext {
  config: Config;
  log: Logger;
  database: DatabaseTarget;
}

export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`spendgate: ${error.message}`);
    process.exit(2);
  }
}

export async function withDatabase<T>(fn: (context: CliContext) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const config = loadConfigOrExit();
  // Only warnings: the tools print their own human-readable output.
  const log = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
  let database: DatabaseTarget;
  try {
    database = await openDatabase(config, log);
  } catch (error) {
    console.error(`spendgate: ${(error as Error).message}`);
    process.exit(1);
  }
  try {
    if (options.migrate ?? true) await prepareDatabase(database, log);
    return await fn({ config, log, database });
  } finally {
    await database.embedded?.stop();
  }
}

/** For tools that only need the owner connection. */
export const withOwnerDatabase = <T>(fn: (ownerUrl: string) => Promise<T>): Promise<T> =>
  withDatabase(({ database }) => fn(database.ownerUrl));
