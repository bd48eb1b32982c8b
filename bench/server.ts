// One server under test, in its own process (so that its CPU time can be read from /proc):
// BENCH_SERVER=gateway | gateway-redis | plain-anonymous | plain-auth, on BENCH_OWNER_URL /
// BENCH_AUTH_URL's database. Prints `listening <url>` once it serves; SIGTERM stops it.
//   gateway          the whole gateway (NODE_ENV=production), as startGateway builds it;
//   gateway-redis    the same with REDIS_URL (BENCH_REDIS_URL, default the machine's Redis):
//                    sessions checked in Redis (src/auth/sessionCache.ts), under a key prefix
//                    of its own;
//   plain-anonymous  plain PostGraphile (same preset extends, no plugins) on the owner's pool
//                    without pgSettings: no transaction, one statement, no RLS;
//   plain-auth       plain PostGraphile with the same authentication model: the Bearer JWT
//                    verified (jose, HS256), pgSettings with role and claims, the same RLS, on
//                    the authenticator's pool; nothing else.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import express from "express";
import { jwtVerify } from "jose";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { loadConfig } from "../src/config.ts";
import { EXPOSED_SCHEMAS, INTROSPECTION_ROLE } from "../src/graphql/preset.ts";
import { createLogger } from "../src/logger.ts";

const kind = process.env.BENCH_SERVER;
const ownerUrl = process.env.BENCH_OWNER_URL!;
const authUrl = process.env.BENCH_AUTH_URL!;
const secret = process.env.BENCH_JWT_SECRET!;
const poolMax = Number(process.env.BENCH_POOL_MAX ?? 16);

async function plain(auth: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: auth ? authUrl : ownerUrl, max: poolMax, application_name: "bench-plain" });
  const key = new TextEncoder().encode(secret);
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset, PgAggregatesPreset],
    pgServices: [makePgService({ pool, schemas: EXPOSED_SCHEMAS, pgSettingsForIntrospection: { role: INTROSPECTION_ROLE } })],
    grafserv: { graphqlPath: "/graphql", graphiql: false, graphqlOverGET: false, websockets: false },
    grafast: {
      explain: false,
      async context(requestContext) {
        if (!auth) return {};
        const header = requestContext.expressv4?.req.headers.authorization ?? "";
        try {
          const { payload } = await jwtVerify(header.replace(/^Bearer /, ""), key, { algorithms: ["HS256"], issuer: "spendgate", audience: "spendgate" });
          const role = `spendgate_${payload.role as string}`;
          return { pgSettings: { role, "jwt.claims.user_id": payload.sub!, "jwt.claims.role": role } };
        } catch {
          throw Object.assign(new Error("invalid token"), { statusCode: 401 });
        }
      },
    },
  });
  const app = express();
  const server = http.createServer(app);
  await pgl.createServ(grafserv).addTo(app, server);
  await pgl.getSchema();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await pgl.release();
      await pool.end();
    },
  };
}

async function gateway(withRedis: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const { startGateway } = await import("../src/server/gateway.ts");
  const redis = withRedis ? { REDIS_URL: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379", REDIS_KEY_PREFIX: `spendgate-bench-${process.pid}` } : {};
  // The per-key rate limit still counts every call (its cost is measured) but never refuses one:
  // an agent fleet on one key sends far more than the default 600 a minute here.
  const config = loadConfig({
    NODE_ENV: "production", PORT: "0", HOST: "127.0.0.1", JWT_SECRET: secret, WORKER: "off", DB_POOL_MAX: String(poolMax), DB_POOL_MIN: "0",
    RATE_LIMIT_REQUESTS_PER_KEY_PER_MINUTE: "1000000000", ...redis,
  });
  // Logs at info, as in production, to a sink: their cost is part of the gateway's.
  return startGateway(config, createLogger(process.env.BENCH_LOG_LEVEL ?? "info"), { ownerUrl, authUrl, authenticatorPassword: undefined, embedded: undefined });
}

const server =
  kind === "gateway" || kind === "gateway-redis" ? await gateway(kind === "gateway-redis")
  : kind === "plain-anonymous" ? await plain(false)
  : kind === "plain-auth" ? await plain(true)
  : undefined;
if (!server) throw new Error(`BENCH_SERVER must be gateway, gateway-redis, plain-anonymous or plain-auth, not ${kind}`);
process.stderr.write(`listening ${server.url}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
