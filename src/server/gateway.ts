// Assembles the HTTP gateway around an already migrated database: pools, express app, the
// PostGraphile instance, the inline worker (WORKER=inline), and an orderly shutdown.
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { createApiKeyUsage } from "../auth/apiKeys.ts";
import { createAuthenticate } from "../auth/authenticate.ts";
import { loadJwtSecret } from "../auth/secret.ts";
import { createTokenService } from "../auth/tokens.ts";
import type { Config } from "../config.ts";
import type { DatabaseTarget } from "../database/connect.ts";
import { createPool } from "../database/pools.ts";
import { loadPlugins } from "../graphql/plugins.ts";
import { makePreset } from "../graphql/preset.ts";
import type { Logger } from "../logger.ts";
import { createResponseCache, type ResponseCache } from "../insights/cache.ts";
import { listenForInvalidations } from "../insights/invalidation.ts";
import { createPhoneVerification } from "../insights/phoneVerification.ts";
import { createSmsSender } from "../insights/sms.ts";
import { connectRedis, type SharedRedis } from "../redis.ts";
import { startWorker, type WorkerHandle } from "../worker/runner.ts";
import { startAdminServer } from "./admin.ts";
import { installAuth } from "./installAuth.ts";
import { installCors } from "./installCors.ts";
import { installErrorHandler } from "./installErrorHandler.ts";
import { installHealth } from "./installHealth.ts";
import { installGraphQLGuards } from "./installGraphQLGuards.ts";
import { installHelmet } from "./installHelmet.ts";
import { installObservability } from "./installObservability.ts";
import { createMetrics, installMetricsEndpoint } from "./metrics.ts";
import { createRateLimits } from "./rateLimits.ts";

export interface Gateway {
  url: string;
  /** The admin server (/metrics, /healthz, /readyz), when ADMIN_PORT is set. */
  adminUrl: string | undefined;
  server: http.Server;
  /** The inline graphile-worker, when WORKER=inline. */
  worker: WorkerHandle | undefined;
  /** The shared Redis connection, when REDIS_URL is set. */
  redis: SharedRedis | undefined;
  /** The response caches of the insight views (statistics for tests and benchmarks). */
  cache: ResponseCache;
  close(): Promise<void>;
}

/** In-flight requests get this long to finish: less than `docker stop`'s 10 s before SIGKILL. */
const SHUTDOWN_GRACE_MS = 8_000;

export async function startGateway(config: Config, log: Logger, database: DatabaseTarget): Promise<Gateway> {
  const authPool = createPool(database.authUrl, "api", config.database.pool, log);
  const ownerPool = createPool(database.ownerUrl, "owner", config.database.pool, log, config.worker.concurrency + 3);
  const metrics = createMetrics({ api: authPool, owner: ownerPool });

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.http.trustProxy);
  installObservability(app, log, metrics);
  installHelmet(app);
  installHealth(app, ownerPool);
  installCors(app, config.http.corsOrigins);
  const tokens = createTokenService(config.jwt, loadJwtSecret(config.jwt, config, log));
  const apiKeyUsage = createApiKeyUsage(authPool, log);
  installAuth(app, createAuthenticate({ tokens, pool: authPool, usage: apiKeyUsage }), log);
  const redis = connectRedis(config.redis, log);
  const rateLimits = createRateLimits(config.rateLimit, redis);
  installGraphQLGuards(app, config.graphql.bodyLimitBytes, rateLimits);
  const sms = createSmsSender(config.sms, config.outbound, log, config.isProduction);
  const phone = createPhoneVerification({ redis, sender: sms, perPhonePerHour: config.sms.perPhonePerHour });
  const cache = createResponseCache(redis, log);
  const invalidations = await listenForInvalidations(database.authUrl, cache, log);

  const pgl = postgraphile(
    makePreset({ graphql: config.graphql, isProduction: config.isProduction, services: { tokens, phone, cache }, authPool, plugins: await loadPlugins(), log }),
  );
  const server = http.createServer(app);
  await pgl.createServ(grafserv).addTo(app, server);
  await pgl.getSchema(); // build the schema now: fail at start-up, not on the first request
  // /metrics: on the admin server when there is one; else on the main port, outside production only.
  const admin = config.admin.port === undefined ? undefined : await startAdminServer({ ...config.admin, port: config.admin.port }, metrics, ownerPool);
  if (admin) log.info({ url: admin.url }, "admin server listening (/metrics, /healthz, /readyz)");
  else if (!config.isProduction) installMetricsEndpoint(app, metrics);
  else log.info("no ADMIN_PORT: /metrics is not served");
  installErrorHandler(app, config.isProduction, log);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.http.port, config.http.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const { host } = config.http;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log.info({ url }, "gateway listening");

  let worker: WorkerHandle | undefined;
  if (config.worker.mode === "inline") worker = await startWorker(config.worker, log, ownerPool);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Stop accepting connections and let in-flight requests finish (bounded), then release
      // the worker, PostGraphile and the pools, in that order.
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await drained;
      clearTimeout(timer);
      await admin?.close();
      await worker?.stop();
      await apiKeyUsage.stop();
      await invalidations.close();
      await redis?.close();
      await pgl.release();
      await Promise.all([authPool.end(), ownerPool.end()]);
    })());
  return { url, adminUrl: admin?.url, server, worker, redis, cache, close };
}
