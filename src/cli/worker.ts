// `npm run worker`: graphile-worker alone, for running jobs on other machines than the gateway
// (then start the gateways with WORKER=off). Stops cleanly on SIGTERM/SIGINT, also mid-start.
import { once } from "node:events";
import { createPool } from "../database/pools.ts";
import { createStorage } from "../storage/index.ts";
import { startWorker } from "../worker/runner.ts";
import { withDatabase } from "./withDatabase.ts";

const stopSignal = Promise.race([once(process, "SIGTERM"), once(process, "SIGINT")]).then(() => "signal");

await withDatabase(
  async ({ config, log, database }) => {
    const pool = createPool(database.ownerUrl, "worker", config.database.pool, config.database, log, config.worker.concurrency + 2);
    const worker = await startWorker(config.worker, log, pool, { storage: createStorage(config.storage, config) });
    await stopSignal;
    log.info("stopping worker");
    await worker.stop();
    await pool.end();
  },
  { sections: ["worker", "storage"] },
);
