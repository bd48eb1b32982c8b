// Assembles the HTTP gateway around an already migrated database: pools, express app, the
// PostGraphile instance, the inline worker (WORKER=inline), and an orderly shutdown.
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type pg from "pg";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { createApiKeyUsage } from "../auth/apiKeys.ts";
import { createAuthenticate } from "../auth/authenticate.ts";
import { createCredentialStore, type CredentialStore } from "../auth/credentialCache.ts";
import { loadJwtSecret } from "../auth/secret.ts";
import { createTokenService } from "../auth/tokens.ts";
import type { Config } from "../config.ts";
import type { DatabaseTarget } from "../database/connect.ts";
import { createPool } from "../database/pools.ts";
import { createReplicaRouter, type ReplicaRouter } from "../database/replicas.ts";
import { loadPlugins } from "../graphql/plugins.ts";
import { makePreset } from "../graphql/preset.ts";
import type { Logger } from "../logger.ts";
import { createStorage } from "../storage/index.ts";
import type { Clock } from "../storage/storage.ts";
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
import { installUploads } from "./installUploads.ts";
import { createMetrics, installMetricsEndpoint } from "./metrics.ts";
import { createRateLimits } from "./rateLimits.ts";

export interface Gateway {
  url: string;
  /** The admin server (/metrics, /healthz, /readyz), when ADMIN_PORT is set. */
  adminUrl: string | undefined;
  server: http.Server;
  /** The credential checks of this instance and their cache. */
  credentials: CredentialStore;
  /** The inline graphile-worker, when WORKER=inline. */
  worker: WorkerHandle | undefined;
  /** Query routing to DATABASE_READ_URL, when set. */
  replicas: ReplicaRouter | undefined;
  /** The shared Redis connection, when REDIS_URL is set. */
  redis: SharedRedis | undefined;
  /** The response caches of the insight views (statistics for tests and benchmarks). */
  cache: ResponseCache;
  close(): Promise<void>;
}

/** In-flight requests get this long to finish: less than `docker stop`'s 10 s before SIGKILL. */
const SHUTDOWN_GRACE_MS = 8_000;

export interface GatewayOptions {
  /** Time of upload signatures (tests move it to produce expired URLs). */
  clock?: Clock;
}

export async function startGateway(config: Config, log: Logger, database: DatabaseTarget, options: GatewayOptions = {}): Promise<Gateway> {
  const authPool = createPool(database.authUrl, "api", config.database.pool, config.database, log);
  const ownerPool = createPool(database.ownerUrl, "owner", config.database.pool, config.database, log, config.worker.concurrency + 3);
  const redis = connectRedis(config.redis, log);
  const credentials = createCredentialStore({
    pool: authPool,
    listenUrl: database.authUrl,
    maxEntries: config.jwt.credentialCacheEntries,
    redis,
    sessionTtlS: config.jwt.refreshTokenTtlS,
    log,
  });
  // Read at every scrape, so that the replica's pool (created below, with the metrics' registry) is included.
  const pools: Record<string, pg.Pool> = { api: authPool, owner: ownerPool };
  const metrics = createMetrics(pools, credentials);
  const { readUrl } = config.replicas;
  const replicas = readUrl === undefined ? undefined : createReplicaRouter({
    config: { ...config.replicas, readUrl },
    pool: config.database.pool,
    queryLog: config.database,
    authenticatorPassword: database.authenticatorPassword,
    primary: authPool,
    registry: metrics.registry,
    log,
  });
  if (replicas) pools.replica = replicas.pool;

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.http.trustProxy);
  installObservability(app, log, metrics);
  installHelmet(app);
  installHealth(app, ownerPool);
  installCors(app, config.http.corsOrigins);
  const tokens = createTokenService(config.jwt, loadJwtSecret(config.jwt, config, log));
  const apiKeyUsage = createApiKeyUsage(authPool, log);
  const authenticate = createAuthenticate({ tokens, credentials, usage: apiKeyUsage });
  installAuth(app, authenticate, log);
  const rateLimits = createRateLimits(config.rateLimit, redis);
  installGraphQLGuards(app, config.graphql.bodyLimitBytes, rateLimits);
  const sms = createSmsSender(config.sms, config.outbound, log, config.isProduction);
  const phone = createPhoneVerification({ redis, sender: sms, perPhonePerHour: config.sms.perPhonePerHour });
  const cache = createResponseCache(redis, log);
  const invalidations = await listenForInvalidations(database.authUrl, cache, log);

  let url = "";
  const storage = createStorage(config.storage, config, { publicUrl: () => url, clock: options.clock });
  if (storage.kind === "local") installUploads(app, storage, log);

  const pgl = postgraphile(
    makePreset({
      graphql: config.graphql,
      isProduction: config.isProduction,
      services: { tokens, storage, outbound: config.outbound, authenticate, credentials, phone, cache },
      authPool,
      plugins: [...(await loadPlugins()), ...(replicas ? [replicas.plugin] : [])],
      log,
      onCredentialsChanged: credentials.forget,
    }),
  );
  const server = http.createServer(app);
  await pgl.createServ(grafserv).addTo(app, server);
  await pgl.getSchema(); // build the schema now: fail at start-up, not on the first request
  // /metrics: on the admin server when there is one; else on the main port, outside production only.
  const admin = config.admin.port === undefined ? undefined : await startAdminServer({ ...config.admin, port: config.admin.port }, metrics.registry, ownerPool);
  if (admin) log.info({ url: admin.url }, "admin server listening (/metrics, /healthz, /readyz)");
  else if (!config.isProduction) installMetricsEndpoint(app, metrics.registry);
  else log.info("no ADMIN_PORT: /metrics is not served");
  installErrorHandler(app, config.isProduction, log);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.http.port, config.http.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const { host } = config.http;
  url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log.info({ url, pid: process.pid }, "gateway listening");

  let worker: WorkerHandle | undefined;
  if (config.worker.mode === "inline") worker = await startWorker(config.worker, log, ownerPool, { storage });

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
      await credentials.close();
      await invalidations.close();
      await redis?.close();
      const { pgServices = [] } = pgl.getResolvedPreset();
      await pgl.release();
      // PostGraphile does not release the services it was given: the subscription's listening
      // connection (pgSubscriber) would keep a client of the API pool, and end() would wait forever.
      for (const service of pgServices) await service.release?.();
      await replicas?.close();
      await Promise.all([authPool.end(), ownerPool.end()]);
    })());
  return { url, adminUrl: admin?.url, server, credentials, worker, replicas, redis, cache, close };
}
