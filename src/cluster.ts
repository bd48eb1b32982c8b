// Every core by default: with WEB_CONCURRENCY > 1 (default: the CPUs available) `npm start` is a
// node:cluster. The primary does the once-only work: reach or boot PostgreSQL, migrate, serve the
// admin port (/metrics summed over all processes by prom-client's AggregatorRegistry, /healthz,
// /readyz); then it forks WEB_CONCURRENCY gateway processes sharing PORT (the primary accepts and
// hands connections out round-robin) and, with WORKER=inline, one process for graphile-worker, so
// that background jobs and cron run once, not once per core. A process that dies is replaced.
// SIGTERM/SIGINT: every child drains and stops as a single gateway does, then the primary closes
// the admin server and lets go of the embedded database, and exits 0.
import cluster, { type Worker } from "node:cluster";
import client from "prom-client";
import type { Config } from "./config.ts";
import type { DatabaseTarget } from "./database/connect.ts";
import { createPool } from "./database/pools.ts";
import type { Logger } from "./logger.ts";
import { closeDatabase, openDatabaseOrExit } from "./startup.ts";

type Role = "http" | "worker";
const ROLE_ENV = "SPENDGATE_CLUSTER_ROLE";
const DATABASE_ENV = "SPENDGATE_CLUSTER_DATABASE";
/** A child that dies sooner than this after its start is replaced only after a pause. */
const CRASH_LOOP_MS = 5_000;

export interface ClusterChild {
  role: Role;
  /** The database the primary opened and migrated (never the embedded server's handle). */
  database: DatabaseTarget;
}

/** In a child process of the cluster: its role and database; undefined otherwise. */
export function clusterChild(): ClusterChild | undefined {
  if (!cluster.isWorker) return undefined;
  const { ownerUrl, authUrl, authenticatorPassword } = JSON.parse(process.env[DATABASE_ENV] ?? "{}") as Omit<DatabaseTarget, "embedded">;
  return { role: process.env[ROLE_ENV] as Role, database: { ownerUrl, authUrl, authenticatorPassword, embedded: undefined } };
}

export async function runPrimary(config: Config, log: Logger): Promise<void> {
  const database = await openDatabaseOrExit(config, log);
  const { ownerUrl, authUrl, authenticatorPassword } = database;
  const env = { [DATABASE_ENV]: JSON.stringify({ ownerUrl, authUrl, authenticatorPassword }) };
  const roles = new Map<Worker, { role: Role; startedAt: number }>();
  let stopping = false;

  const fork = (role: Role) => {
    const child = cluster.fork({ ...env, [ROLE_ENV]: role });
    roles.set(child, { role, startedAt: Date.now() });
  };
  cluster.on("exit", (child, code, signal) => {
    const entry = roles.get(child);
    roles.delete(child);
    if (stopping || !entry) return;
    log.error({ role: entry.role, pid: child.process.pid, code, signal }, "cluster process died: replacing it");
    const pause = Date.now() - entry.startedAt < CRASH_LOOP_MS ? 1_000 : 0;
    setTimeout(() => !stopping && fork(entry.role), pause);
  });
  for (let i = 0; i < config.http.webConcurrency; i++) fork("http");
  if (config.worker.mode === "inline") fork("worker");
  log.info({ processes: config.http.webConcurrency, worker: config.worker.mode === "inline" }, "cluster started");

  const ownerPool = createPool(ownerUrl, "owner", config.database.pool, config.database, log, 2);
  let admin: { url: string; close(): Promise<void> } | undefined;
  if (config.admin.port !== undefined) {
    const { startAdminServer } = await import("./server/admin.ts");
    const aggregator = new client.AggregatorRegistry();
    admin = await startAdminServer({ ...config.admin, port: config.admin.port }, { contentType: aggregator.contentType, metrics: () => aggregator.clusterMetrics() }, ownerPool);
    log.info({ url: admin.url }, "admin server listening (/metrics of every process, /healthz, /readyz)");
  }

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const exited = [...roles.keys()].map((child) => new Promise<void>((resolve) => (child.isDead() ? resolve() : child.once("exit", () => resolve()))));
    for (const child of roles.keys()) child.process.kill("SIGTERM");
    await Promise.all(exited);
    await admin?.close();
    await ownerPool.end();
    await closeDatabase(database);
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/** The worker child: graphile-worker alone, on its own owner pool; SIGTERM/SIGINT stop it. */
export async function runWorkerChild(config: Config, log: Logger, database: DatabaseTarget): Promise<void> {
  const { startWorker } = await import("./worker/runner.ts");
  const { createMetrics } = await import("./server/metrics.ts");
  const { createStorage } = await import("./storage/index.ts");
  const pool = createPool(database.ownerUrl, "owner", config.database.pool, config.database, log, config.worker.concurrency + 2);
  createMetrics({ owner: pool }); // every child answers the primary's metrics requests, or scrapes time out
  const worker = await startWorker(config.worker, log, pool, { storage: createStorage(config.storage, config) });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await worker.stop();
    await pool.end();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}
