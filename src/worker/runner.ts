// graphile-worker in the same database. Runs inline in the gateway process by default
// (WORKER=inline) or alone through `npm run worker` (src/cli/worker.ts) to scale out.
// Signals are ours to handle (noHandleSignals): otherwise the worker re-raises SIGTERM on the
// process and kills it before the gateway has drained.
import type pg from "pg";
import { Logger as WorkerLogger, run, type Runner } from "graphile-worker";
import type { WorkerConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { crontab } from "./crontab.ts";
import { loadTasks, type TaskServices } from "../tasks/index.ts";

export interface WorkerHandle {
  runner: Runner;
  stop(): Promise<void>;
}

export async function startWorker(config: WorkerConfig, log: Logger, pgPool: pg.Pool, services: TaskServices): Promise<WorkerHandle> {
  const workerLog = log.child({ component: "worker" });
  const taskList = await loadTasks(services);
  const runner = await run({
    pgPool,
    concurrency: config.concurrency,
    noHandleSignals: true,
    pollInterval: 2000,
    taskList,
    crontab,
    logger: new WorkerLogger(() => (level, message, meta) => {
      const method = level === "error" ? "error" : level === "warning" ? "warn" : level === "info" ? "info" : "debug";
      workerLog[method](meta ?? {}, message);
    }),
  });
  // A newer worker's breaking migration stops this one: make that visible instead of silent.
  runner.promise.catch((error: Error) => workerLog.error({ err: error }, "worker stopped unexpectedly"));
  workerLog.info({ concurrency: config.concurrency, tasks: Object.keys(taskList) }, "worker started");
  return { runner, stop: () => runner.stop() };
}
