// `npm start`: validate the configuration, reach (or boot) PostgreSQL, migrate, serve; on
// SIGTERM/SIGINT drain HTTP, stop the worker, close the pools and the embedded database, exit 0.
import { ALL_SECTIONS, describeConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { closeDatabase, exitWith, loadConfigOrExit, openDatabaseOrExit } from "./startup.ts";

const config = loadConfigOrExit(ALL_SECTIONS);
const log = createLogger(config.logLevel);
log.info({ config: describeConfig(config) }, "starting spendgate");

/** Start-up (seed 004 M-2); a failure is one plain line on stderr, without a stack trace. */
async function start() {
  // Grafast reads GRAPHILE_ENV when it is first imported: set it before loading the gateway.
  process.env.GRAPHILE_ENV ??= config.isProduction ? "production" : "development";
  const { startGateway } = await import("./server/gateway.ts");
  const database = await openDatabaseOrExit(config, log);
  try {
    return { database, gateway: await startGateway(config, log, database) };
  } catch (error) {
    log.error({ err: error }, "start-up failed");
    await closeDatabase(database);
    exitWith(`start-up failed: ${(error as Error).message}`);
  }
}
const started = start();

// Installed before start-up finishes, so that a signal arriving mid-start (e.g. while migrating)
// waits for it and then shuts down cleanly instead of killing the process with work half done.
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "shutting down");
  const { gateway, database } = await started;
  await gateway.close();
  await closeDatabase(database);
  log.info("stopped");
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
await started;
