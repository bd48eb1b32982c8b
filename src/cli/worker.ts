// `npm run worker`: graphile-worker alone, for running jobs on other machines than the gateway
// (then start the gateways with WORKER=off). Stops cleanly on SIGTERM/SIGINT.
import { createPool } from "../database/pools.ts";
import { startWorker } from "../worker/runner.ts";
import { withDatabase } from "./withDatabase.ts";

await withDatabase(async ({ config, log, database }) => {
  const pool = createPool(database.ownerUrl, "worker", config, log, config.workerConcurrency + 2);
  const worker = await startWorker(config, log, pool);
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  log.warn({ signal }, "stopping worker");
  await worker.stop();
  await pool.end();
});
