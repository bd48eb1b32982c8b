// `npm start`: validate the configuration, reach (or boot) PostgreSQL, migrate, serve; on
// SIGTERM/SIGINT drain HTTP, stop the worker, close the pools and the embedded database, exit 0.
import { ConfigError, describeConfig, loadConfig } from "./config.ts";
import { openDatabase } from "./database/connect.ts";
import { prepareDatabase } from "./database/prepare.ts";
import { createLogger } from "./logger.ts";

async function main(): Promise<void> {
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
  // Grafast reads GRAPHILE_ENV when it is first imported: set it before loading the gateway.
  process.env.GRAPHILE_ENV ??= config.isProduction ? "production" : "development";
  const { startGateway } = await import("./server/gateway.ts");
  const log = createLogger(config.logLevel);
  log.info({ config: describeConfig(config) }, "starting spendgate");

  let database;
  try {
    database = await openDatabase(config, log);
  } catch (error) {
    // One plain line on stderr, no stack trace: the message names the problem (seed 000).
    console.error(`spendgate: ${(error as Error).message}`);
    process.exit(1);
  }
  try {
    await prepareDatabase(database, log);
    const gateway = await startGateway(config, log, database);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "shutting down");
      await gateway.close();
      await database.embedded?.stop();
      log.info("stopped");
      process.exit(0);
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
  } catch (error) {
    log.fatal({ err: error }, "start-up failed");
    console.error(`spendgate: start-up failed: ${(error as Error).message}`);
    await database.embedded?.stop();
    process.exit(1);
  }
}

await main();
