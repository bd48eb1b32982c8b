// Prometheus metrics (prom-client): process defaults, pool connections (seed 004 D-3: monitor
// connection pool metrics), how long requests wait for a connection and how much of the time each
// pool is fully used (seed 003: pool efficiency), HTTP requests by route and status, GraphQL
// request latency, and SQL time per GraphQL operation (seed 003: query performance metrics).
// Names follow Prometheus' naming rules as promtool checks them (test/server/metrics.test.ts):
// counters end in _total, nothing else does, units are base units.
import cluster from "node:cluster";
import type { Express } from "express";
import type pg from "pg";
import client from "prom-client";
import type { CredentialStore } from "../auth/credentialCache.ts";

/** Routes get a fixed label; anything else is "other", so clients cannot explode cardinality. */
const KNOWN_ROUTES = new Set(["/graphql", "/graphiql", "/healthz", "/readyz", "/metrics"]);

export interface Metrics {
  registry: client.Registry;
  observeHttp(method: string, path: string, status: number, seconds: number): void;
  /** SQL time of one GraphQL request, by operation name. */
  observeSql(operationName: string | undefined, seconds: number): void;
}

/** Operation names are chosen by clients: label values are bounded so they cannot explode cardinality. */
const MAX_OPERATION_LABELS = 200;
const OPERATION_LABEL = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

export function createMetrics(pools: Record<string, pg.Pool>, credentials?: Pick<CredentialStore, "stats">): Metrics {
  const registry = new client.Registry();
  if (cluster.isWorker) {
    // In a cluster (WEB_CONCURRENCY > 1) the primary serves every process's metrics summed:
    // prom-client's aggregator asks each child over IPC, answered by the listener that
    // constructing an AggregatorRegistry registers in the child.
    client.AggregatorRegistry.setRegistries([registry]);
    new client.AggregatorRegistry();
  }
  client.collectDefaultMetrics({ register: registry, prefix: "spendgate_" });
  // prom-client's nodejs_active_{handles,requests,resources}_total are gauges named like
  // counters; their per-type versions without the suffix (summed, the same numbers) stay.
  for (const metric of registry.getMetricsAsArray()) {
    if (metric instanceof client.Gauge && metric.name.endsWith("_total")) registry.removeSingleMetric(metric.name);
  }

  const poolGauge = (name: string, help: string, read: (pool: pg.Pool) => number) =>
    new client.Gauge({
      name,
      help,
      labelNames: ["pool"],
      registers: [registry],
      collect() {
        for (const [label, pool] of Object.entries(pools)) this.set({ pool: label }, read(pool));
      },
    });
  poolGauge("spendgate_db_pool_connections", "Connections open in the pool (idle + in use).", (p) => p.totalCount);
  poolGauge("spendgate_db_pool_connections_idle", "Idle connections in the pool.", (p) => p.idleCount);
  poolGauge("spendgate_db_pool_requests_waiting", "Requests waiting for a connection from the pool.", (p) => p.waitingCount);
  const poolWait = new client.Histogram({
    name: "spendgate_db_pool_wait_duration_seconds",
    help: "Time a request for a connection waited for the pool to hand one out.",
    labelNames: ["pool"],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const saturation = new Map(Object.entries(pools).map(([label, pool]) => [label, watchSaturation(pool, (seconds) => poolWait.observe({ pool: label }, seconds))]));
  new client.Counter({
    name: "spendgate_db_pool_saturated_seconds_total",
    help: "Time during which every connection the pool may open was in use (rate(): the share of time the pool was saturated).",
    labelNames: ["pool"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [label, clock] of saturation) this.inc({ pool: label }, clock.seconds());
    },
  });

  if (credentials) {
    new client.Counter({
      name: "spendgate_credential_checks_total",
      help: "Credential checks of requests (token's user and session, API key), by where the answer came from: memory (the credential cache), redis (sessions and logged-out tokens, with REDIS_URL) or database.",
      labelNames: ["source"],
      registers: [registry],
      collect() {
        const { hits, redisHits, misses } = credentials.stats();
        this.reset();
        this.inc({ source: "memory" }, hits);
        this.inc({ source: "redis" }, redisHits);
        this.inc({ source: "database" }, misses);
      },
    });
    new client.Counter({
      name: "spendgate_credential_invalidations_total",
      help: "Notifications on spendgate_credentials that made this process forget a user's cached credential checks.",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(credentials.stats().invalidations);
      },
    });
  }

  const requests = new client.Counter({
    name: "spendgate_http_requests_total",
    help: "HTTP requests served, by method, route and status code.",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const httpDuration = new client.Histogram({
    name: "spendgate_http_request_duration_seconds",
    help: "HTTP request latency, by route.",
    labelNames: ["route"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const graphqlDuration = new client.Histogram({
    name: "spendgate_graphql_operation_duration_seconds",
    help: "Latency of GraphQL operations (POST /graphql), by HTTP status.",
    labelNames: ["status"],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const sqlDuration = new client.Histogram({
    name: "spendgate_graphql_sql_duration_seconds",
    help: "SQL time of one GraphQL request (all its statements), by operation name (\"anonymous\" when unnamed, \"other\" past the label limit).",
    labelNames: ["operation"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const operationLabels = new Set<string>();
  const operationLabel = (name: string | undefined) => {
    if (name === undefined) return "anonymous";
    if (!OPERATION_LABEL.test(name)) return "other";
    if (!operationLabels.has(name) && operationLabels.size >= MAX_OPERATION_LABELS) return "other";
    operationLabels.add(name);
    return name;
  };

  return {
    registry,
    observeSql(operationName, seconds) {
      sqlDuration.observe({ operation: operationLabel(operationName) }, seconds);
    },
    observeHttp(method, path, status, seconds) {
      const route = KNOWN_ROUTES.has(path) ? path : "other";
      requests.inc({ method, route, status: String(status) });
      httpDuration.observe({ route }, seconds);
      if (route === "/graphql" && method === "POST") graphqlDuration.observe({ status: String(status) }, seconds);
    },
  };
}

interface SaturationClock {
  /** Seconds during which the pool was saturated, so far. */
  seconds(): number;
}

/**
 * Watches a pool: times each wait for a connection (connect() until a client is handed out) and
 * adds up the time during which all `max` connections were checked out.
 */
function watchSaturation(pool: pg.Pool, observeWait: (seconds: number) => void): SaturationClock {
  const max = (pool as pg.Pool & { options: { max: number } }).options.max;
  let total = 0;
  let since: bigint | undefined;
  const update = () => {
    const saturated = pool.totalCount - pool.idleCount >= max;
    if (saturated && since === undefined) since = process.hrtime.bigint();
    else if (!saturated && since !== undefined) {
      total += Number(process.hrtime.bigint() - since) / 1e9;
      since = undefined;
    }
  };
  pool.on("acquire", update);
  // "release" is emitted before the client is back among the idle ones (or handed to a waiter).
  pool.on("release", () => setImmediate(update));
  pool.on("remove", update);

  const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => unknown;
  (pool as unknown as { connect: typeof connect }).connect = (callback) => {
    const started = process.hrtime.bigint();
    const observe = () => observeWait(Number(process.hrtime.bigint() - started) / 1e9);
    if (callback) {
      return connect((...args) => {
        observe();
        callback(...args);
      });
    }
    const acquired = connect() as Promise<pg.PoolClient>;
    acquired.then(observe, () => undefined);
    return acquired;
  };
  return { seconds: () => total + (since === undefined ? 0 : Number(process.hrtime.bigint() - since) / 1e9) };
}

/** What /metrics serves: one process's registry, or the cluster's aggregate (src/cluster.ts). */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

/** GET /metrics: the Prometheus text format. */
export function installMetricsEndpoint(app: Express, source: MetricsSource): void {
  app.get("/metrics", async (_req, res) => {
    res.setHeader("Content-Type", source.contentType);
    res.send(await source.metrics());
  });
}
