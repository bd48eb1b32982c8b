// node-postgres pools, configured from the validated config. Two per process at most:
// the owner pool (migrations, worker, readiness) and the authenticator pool that serves the API.
import pg from "pg";
import type { PoolConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { instrumentQueries } from "./instrumentQueries.ts";

/** Statements at least this slow are logged (SLOW_QUERY_MS). */
export interface QueryLogConfig {
  slowQueryMs: number;
}

export function createPool(connectionString: string, name: string, config: PoolConfig, queryLog: QueryLogConfig, log: Logger, max = config.max): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    application_name: `spendgate-${name}`,
    max,
    min: Math.min(config.min, max),
    idleTimeoutMillis: config.idleTimeoutMs,
    connectionTimeoutMillis: config.connectionTimeoutMs,
    maxLifetimeSeconds: config.maxLifetimeS,
  });
  // An idle client whose server goes away (restart, network cut) emits "error" on the pool.
  // Unhandled, that event would kill the process; the pool drops the client and reconnects on demand.
  pool.on("error", (error) => log.warn({ pool: name, err: error.message }, "idle database client failed"));
  // A checked-out client can fail too (server restart mid-query): without a listener its "error"
  // event would also be fatal. The query in flight still rejects and is handled by its caller.
  pool.on("connect", (client) => {
    client.on("error", (error) => log.warn({ pool: name, err: error.message }, "database client failed"));
    instrumentQueries(client, name, queryLog.slowQueryMs, log);
  });
  return pool;
}
