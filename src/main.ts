// `npm start`: validate the configuration, reach (or boot) PostgreSQL, migrate, serve; on
// SIGTERM/SIGINT drain HTTP, stop the worker, close the pools and the embedded database, exit 0.
import { loadConfigOrExit } from "./cli/withDatabase.ts";
import { describeConfig, type Config } from "./config.ts";
import { openDatabase, type DatabaseTarget } from "./database/connect.ts";
import { prepareDatabase } from "./database/prepare.ts";
import { createLogger, type Logger } from "./logger.ts";
import type { Gateway } from "./server/gateway.ts";

/** Start-up (seed 004 M-2); a failure is one plain line on stderr, without a stack trace. */
async function start(config: Config, log: Logger): Promise<{ database: DatabaseTarget; gateway: Gateway }> {
  // Grafast reads GRAPHILE_ENV when it is first imported: set it before loading the gateway.
  process.env.GRAPHILE_ENV ??= config.isProduction ? "production" : "development";
  const { startGateway } = await import("./server/gateway.ts");
  let database: DatabaseTarget;
  try {
    database = await openDatabase(config, log);
  } catch (error) {
    console.error(`spendgate: ${(error as Error).message}`);
    process.exit(1);
  }
  try {
    await prepareDatabase(database, log);
    return { database, gateway: await startGateway(config, log, database) };
  } catch (error) {
    log.error({ err: error }, "start-up failed");
    console.error(`spendgate: start-up failed: ${(error as Error).message}`);
    await database.embedded?.stop();
    process.exit(1);
  }
}

const config = loadConfigOrExit();
const log = createLogger(config.logLevel);
log.info({ config: describeConfig(config) }, "starting spendgate");
const started = start(config, log);

// Installed before start-up finishes, so that a signal arriving mid-start (e.g. while migrating)
// waits for it and then shuts down cleanly instead of killing the process with work half done.
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "shutting down");
  const { gateway, database } = await started;
  await gateway.close();
  await database.embedded?.stop();
  log.info("stopped");
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
await started;
