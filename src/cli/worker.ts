// `npm run worker`: graphile-worker alone, for running jobs on other machines than the gateway
// (then start the gateways with WORKER=off). Stops cleanly on SIGTERM/SIGINT.
import { loadConfig } from "../config.ts";
import { openDatabase } from "../database/connect.ts";
import { createPool } from "../database/pools.ts";
import { prepareDatabase } from "../database/prepare.ts";
import { createLogger } from "../logger.ts";
import { startWorker } from "../worker/runner.ts";

const config = loadConfig();
const log = createLogger(config.logLevel);
const database = await openDatabase(config, log);
await prepareDatabase(database, log);
const pool = createPool(database.ownerUrl, "worker", config, log, config.workerConcurrency + 2);
const worker = await startWorker(config, log, pool);

const stop = async (signal: string) => {
  log.info({ signal }, "stopping worker");
  await worker.stop();
  await pool.end();
  await database.embedded?.stop();
  process.exit(0);
};
process.once("SIGTERM", () => void stop("SIGTERM"));
process.once("SIGINT", () => void stop("SIGINT"));
