// The CLIs reach PostgreSQL exactly like `npm start`: DATABASE_URL, or the embedded server when
// it is not set; migrations are applied first so the import tables exist.
import { ConfigError, loadConfig } from "../config.ts";
import { openDatabase } from "../database/connect.ts";
import { prepareDatabase } from "../database/prepare.ts";
import { createLogger } from "../logger.ts";

export async function withOwnerDatabase<T>(fn: (ownerUrl: string) => Promise<T>): Promise<T> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`spendgate: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  // Only warnings: the CLIs print their own human-readable output.
  const log = createLogger("warn");
  const target = await openDatabase(config, log);
  try {
    await prepareDatabase(target, log);
    return await fn(target.ownerUrl);
  } finally {
    await target.embedded?.stop();
  }
}
