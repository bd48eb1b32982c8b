// Prometheus metrics (prom-client): process defaults, pool connections (seed 004 D-3: monitor
// connection pool metrics), HTTP requests by route and status, and GraphQL request latency.
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
}

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

  if (credentials) {
    new client.Counter({
      name: "spendgate_credential_checks_total",
      help: "Credential checks of requests (token's user and session, API key), by where the answer came from: memory (the credential cache) or database.",
      labelNames: ["source"],
      registers: [registry],
      collect() {
        const { hits, misses } = credentials.stats();
        this.reset();
        this.inc({ source: "memory" }, hits);
        this.inc({ source: "database" }, misses);
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

  return {
    registry,
    observeHttp(method, path, status, seconds) {
      const route = KNOWN_ROUTES.has(path) ? path : "other";
      requests.inc({ method, route, status: String(status) });
      httpDuration.observe({ route }, seconds);
      if (route === "/graphql" && method === "POST") graphqlDuration.observe({ status: String(status) }, seconds);
    },
  };
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
