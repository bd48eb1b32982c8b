// `npm start`: validate the configuration, reach (or boot) PostgreSQL, migrate, serve; on
// SIGTERM/SIGINT drain HTTP, stop the worker, close the pools and the embedded database, exit 0.
// package.json's scripts `exec` node: npm 11 forwards SIGTERM/SIGINT only to its own child, the
// `sh -c` that runs the script; dash forks node instead of replacing itself, dies of the signal,
// and npm re-raises it on itself (exit 143), leaving node and PostgreSQL running (seen with strace).
//
// With WEB_CONCURRENCY > 1 (the default on a machine with several CPUs) this process is the
// primary of a cluster (src/cluster.ts) and the gateways are its children, each running the
// single-process path below on the database the primary prepared.
import cluster from "node:cluster";
import { clusterChild, runPrimary, runWorkerChild } from "./cluster.ts";
import { ALL_SECTIONS, describeConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { closeDatabase, exitWith, loadConfigOrExit, openDatabaseOrExit } from "./startup.ts";

const loaded = loadConfigOrExit(ALL_SECTIONS);
const log = createLogger(loaded.logLevel);
const child = clusterChild();
// A gateway child serves HTTP only: the primary serves the admin port, a child of its own runs the worker.
const config = child ? { ...loaded, worker: { ...loaded.worker, mode: "off" as const }, admin: { ...loaded.admin, port: undefined } } : loaded;
if (!child) log.info({ config: describeConfig(config) }, "starting spendgate");
if (cluster.isPrimary && config.http.webConcurrency > 1) {
  await runPrimary(config, log);
} else if (child?.role === "worker") {
  await runWorkerChild(loaded, log, child.database);
} else {
  await runSingle();
}

async function runSingle(): Promise<void> {
  /** Start-up (seed 004 M-2); a failure is one plain line on stderr, without a stack trace. */
  async function start() {
    // Grafast reads GRAPHILE_ENV when it is first imported: set it before loading the gateway.
    process.env.GRAPHILE_ENV ??= config.isProduction ? "production" : "development";
    const { startGateway } = await import("./server/gateway.ts");
    const database = child ? child.database : await openDatabaseOrExit(config, log);
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
}
