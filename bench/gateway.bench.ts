// `npm run bench -- gateway`: what the gateway costs on a read. The same GraphQL query (one
// user's 20 latest requests with their project's name; RLS keeps the user's rows) measured in the
// same run, at 1, 16 and 64 concurrent clients:
//   a. through the whole gateway (express, helmet, JWT verification + user check, guards and rate
//      limits, our plugins, PostGraphile, RLS as spendgate_user);
//   b. through plain PostGraphile (same preset extends, no plugins) served by grafserv on a bare
//      express app with fixed pgSettings (role spendgate_user + jwt.claims.user_id), so RLS
//      still applies: (a) / (b) is the cost of our middleware and auth;
//   c. pgbench running the equivalent SQL in the same transaction shape as PostGraphile's
//      (begin, set_config of role and user, select, commit) as spendgate_authenticator.
// Before measuring, (a), (b) and the raw SQL must return the same rows for the user, or the
// bench fails. Creates and drops its own database on BENCH_DATABASE_URL; BENCH_SECONDS per step.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import express from "express";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { createTokenService } from "../src/auth/tokens.ts";
import { loadConfig } from "../src/config.ts";
import { AUTHENTICATOR_ROLE } from "../src/database/connect.ts";
import { runMigrations } from "../src/database/migrate.ts";
import { EXPOSED_SCHEMAS, INTROSPECTION_ROLE } from "../src/graphql/preset.ts";
import { createLogger } from "../src/logger.ts";
import { startGateway } from "../src/server/gateway.ts";
import { fmt, onServer, pgbench, SECONDS, summarise, urlFor, type Result } from "./lib.ts";

const CONCURRENCY = [1, 16, 64];
const USERS = 1000;
const PROJECTS_PER_USER = 3;
const REQUESTS_PER_USER = 50;
const POOL_MAX = 32;
const SECRET = randomBytes(48).toString("base64");
const QUERY = `{ requests(first: 20, orderBy: CREATED_AT_DESC) { nodes { requestId status estimatedCost project { name } } } }`;

interface Node {
  requestId: string;
  status: string;
  estimatedCost: string;
  project: { name: string } | null;
}

/** The select PostGraphile generates for QUERY (same joins, order and casts); RLS on both tables
 * decides what the user sees. */
const SELECT = `select r.request_id, r.status::text, r.estimated_cost::text, p.name
  from app_public.requests r left join app_public.projects p on p.project_id = r.project_id
 order by r.created_at desc, r.request_id desc
 limit 20`;

async function graphql(url: string, headers: Record<string, string>): Promise<{ status: number; body: { data?: { requests?: { nodes: Node[] } }; errors?: unknown } }> {
  const response = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query: QUERY }) });
  return { status: response.status, body: (await response.json()) as never };
}

/** SECONDS of `concurrency` clients sending QUERY back to back; every answer must be 20 rows. */
async function httpLoad(url: string, headers: Record<string, string>, concurrency: number, seconds = SECONDS): Promise<Result> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure = "";
  const body = JSON.stringify({ query: QUERY });
  const allHeaders = { "content-type": "application/json", ...headers };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const response = await fetch(`${url}/graphql`, { method: "POST", headers: allHeaders, body });
        const json = (await response.json()) as { data?: { requests?: { nodes: Node[] } } };
        latencies.push(performance.now() - t0);
        if (response.status !== 200 || json.data?.requests?.nodes.length !== 20) {
          failures++;
          firstFailure ||= `${response.status} ${JSON.stringify(json).slice(0, 300)}`;
        }
      }
    }),
  );
  if (failures) throw new Error(`${failures} of ${latencies.length} requests failed, e.g. ${firstFailure}`);
  return summarise(latencies, (performance.now() - started) / 1000);
}

/** Plain PostGraphile: the same preset extends, no plugins, no middleware, a fixed identity. */
async function startPlainPostGraphile(authUrl: string, userId: string) {
  const pool = new pg.Pool({ connectionString: authUrl, max: POOL_MAX });
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset, PgAggregatesPreset],
    pgServices: [makePgService({ pool, schemas: EXPOSED_SCHEMAS, pgSettingsForIntrospection: { role: INTROSPECTION_ROLE } })],
    grafserv: { graphqlPath: "/graphql", graphiql: false, graphqlOverGET: false, websockets: false },
    grafast: { explain: false, context: () => ({ pgSettings: { role: "spendgate_user", "jwt.claims.user_id": userId } }) },
  });
  const app = express();
  const server = http.createServer(app);
  await pgl.createServ(grafserv).addTo(app, server);
  await pgl.getSchema();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await pgl.release();
    await pool.end();
  };
  return { url, close };
}

async function main() {
  const database = `spendgate_bench_gw_${randomBytes(4).toString("hex")}`;
  await onServer(`create database ${database}`);
  const ownerUrl = urlFor(database);
  const authUrl = urlFor(database, AUTHENTICATOR_ROLE);
  const owner = new pg.Pool({ connectionString: ownerUrl, max: 4 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-bench-"));
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  let plain: Awaited<ReturnType<typeof startPlainPostGraphile>> | undefined;
  try {
    const setupStarted = performance.now();
    await runMigrations(ownerUrl, "up");
    // USERS users, each with PROJECTS_PER_USER projects, a user-wide budget and one per project,
    // and REQUESTS_PER_USER finished requests spread over the last weeks (distinct times per user).
    await owner.query(`insert into app_public.users (email, available_balance, total_requests)
      select 'gw' || n || '@example.com', 100, $2 from generate_series(1, $1::int) n`, [USERS, REQUESTS_PER_USER]);
    await owner.query(`insert into app_public.projects (user_id, name)
      select u.user_id, 'project ' || k from app_public.users u, generate_series(1, $1::int) k`, [PROJECTS_PER_USER]);
    await owner.query(`insert into app_public.budgets (user_id, project_id, daily_limit, monthly_limit, per_request_limit)
      select user_id, null, 20, 200, 1 from app_public.users
      union all
      select user_id, project_id, 5, 50, 0.5 from app_public.projects`);
    await owner.query(
      `insert into app_public.requests (user_id, project_id, agent_id, api_provider, model_name, endpoint, parameters,
          status, estimated_cost, actual_cost, reason, created_at, finished_at)
       select u.user_id, p.project_id, 'agent-' || (g % 4), (array['openai', 'anthropic'])[1 + g % 2],
              (array['gpt-4o', 'claude-sonnet'])[1 + g % 2], 'chat', jsonb_build_object('max_tokens', 100 * (1 + g % 8)),
              s.status, round((0.001 + random() * 0.05)::numeric, 6),
              case when s.status = 'executed' then round((0.001 + random() * 0.05)::numeric, 6) end,
              case when s.status = 'rejected' then 'budget_exceeded' end,
              t.at, case when s.status <> 'rejected' then t.at + interval '2 seconds' end
         from app_public.users u
         cross join generate_series(1, $1::int) g
         join app_public.projects p on p.user_id = u.user_id and p.name = 'project ' || (1 + g % $2::int)
         cross join lateral (select (array['executed', 'executed', 'executed', 'executed', 'executed', 'rejected', 'failed', 'cancelled']::app_public.requeststatus[])[1 + g % 8] as status) s
         cross join lateral (select now() - g * interval '7 hours 13 minutes' - random() * interval '1 hour' as at) t`,
      [REQUESTS_PER_USER, PROJECTS_PER_USER],
    );
    await owner.query("vacuum analyze");
    const counts = (await owner.query(`select (select count(*) from app_public.users)::int as users, (select count(*) from app_public.projects)::int as projects,
      (select count(*) from app_public.budgets)::int as budgets, (select count(*) from app_public.requests)::int as requests`)).rows[0];
    const { rows: [{ user_id: userId }] } = await owner.query<{ user_id: string }>("select user_id from app_public.users where email = 'gw1@example.com'");
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    const config = loadConfig({ NODE_ENV: "production", PORT: "0", HOST: "127.0.0.1", JWT_SECRET: SECRET, WORKER: "off", DB_POOL_MAX: String(POOL_MAX), DB_POOL_MIN: "0", LOG_LEVEL: "silent" });
    gateway = await startGateway(config, createLogger("silent"), { ownerUrl, authUrl, authenticatorPassword: undefined, embedded: undefined });
    plain = await startPlainPostGraphile(authUrl, userId);
    const tokens = createTokenService(config.jwt, new TextEncoder().encode(SECRET));
    const bearer = { authorization: `Bearer ${(await tokens.sign({ userId, role: "user" })).token}` };

    // Same data through (a), (b) and the raw SQL, for this user; and RLS really filters.
    const viaGateway = await graphql(gateway.url, bearer);
    const viaPlain = await graphql(plain.url, {});
    const script = `begin;
select set_config('role', 'spendgate_user', true), set_config('jwt.claims.user_id', '${userId}', true);
${SELECT};
commit;
`;
    const raw = new pg.Client({ connectionString: authUrl });
    await raw.connect();
    let viaSql: Node[];
    try {
      await raw.query("begin");
      await raw.query("select set_config('role', 'spendgate_user', true), set_config('jwt.claims.user_id', $1, true)", [userId]);
      viaSql = (await raw.query<{ request_id: string; status: string; estimated_cost: string; name: string | null }>(SELECT)).rows.map((r) => ({
        requestId: r.request_id,
        status: r.status,
        estimatedCost: r.estimated_cost,
        project: r.name === null ? null : { name: r.name },
      }));
      await raw.query("commit");
    } finally {
      await raw.end();
    }
    const nodes = viaGateway.body.data?.requests?.nodes;
    if (viaGateway.status !== 200 || viaPlain.status !== 200 || !nodes || nodes.length !== 20) {
      throw new Error(`unexpected answers: gateway ${viaGateway.status} ${JSON.stringify(viaGateway.body).slice(0, 300)}; plain ${viaPlain.status} ${JSON.stringify(viaPlain.body).slice(0, 300)}`);
    }
    if (!isDeepStrictEqual(viaGateway.body, viaPlain.body)) throw new Error("the gateway and plain PostGraphile returned different data for the same user");
    if (!isDeepStrictEqual(nodes, viaSql)) throw new Error(`the raw SQL returned different rows: ${JSON.stringify(viaSql[0])} vs ${JSON.stringify(nodes[0])}`);
    const own = await owner.query("select count(*)::int as n from app_public.requests where user_id = $1 and request_id = any($2::uuid[])", [userId, nodes.map((n) => n.requestId)]);
    if (own.rows[0].n !== 20) throw new Error("the answer holds requests of other users");

    // Warm-up (JIT, plan caches, pool connections), then all gateway steps, then all plain ones;
    // each server is closed before the next runs, and pgbench runs last, so their connections
    // never add up (max_connections is shared with everything else on the server).
    await httpLoad(gateway.url, bearer, 4, 2);
    const viaHttp = new Map<string, Result>();
    for (const c of CONCURRENCY) viaHttp.set(`gateway/${c}`, await httpLoad(gateway.url, bearer, c));
    await gateway.close();
    gateway = undefined;
    await httpLoad(plain.url, {}, 4, 2);
    for (const c of CONCURRENCY) viaHttp.set(`plain/${c}`, await httpLoad(plain.url, {}, c));
    await plain.close();
    plain = undefined;
    const direct = new Map<number, Result>();
    for (const c of CONCURRENCY) direct.set(c, pgbench(database, script, c, dir, AUTHENTICATOR_ROLE));
    // One piece of the gateway's extra work on its own: the per-request user check.
    const userCheck = pgbench(database, `select * from app_private.user_credentials('${userId}', null);\n`, 1, dir, AUTHENTICATOR_ROLE);

    const table = [
      "| clients | gateway req/s | gateway p50 / p99 ms | plain PostGraphile req/s | plain p50 / p99 ms | pgbench tx/s | pgbench p50 / p99 ms | gateway / plain | gateway / pgbench |",
      "|---|---|---|---|---|---|---|---|---|",
    ];
    for (const c of CONCURRENCY) {
      const a = viaHttp.get(`gateway/${c}`)!;
      const b = viaHttp.get(`plain/${c}`)!;
      const d = direct.get(c)!;
      table.push(`| ${c} | ${fmt(a.tps, 0)} | ${fmt(a.p50, 2)} / ${fmt(a.p99, 2)} | ${fmt(b.tps, 0)} | ${fmt(b.p50, 2)} / ${fmt(b.p99, 2)} | ${fmt(d.tps, 0)} | ${fmt(d.p50, 2)} / ${fmt(d.p99, 2)} | ${fmt(a.tps / b.tps, 2)} | ${fmt(a.tps / d.tps, 2)} |`);
    }
    const [a1, b1, d1] = [viaHttp.get("gateway/1")!, viaHttp.get("plain/1")!, direct.get(1)!];
    console.log(`\n## One user's 20 latest requests: gateway vs plain PostGraphile vs pgbench (${SECONDS}s per step)\n`);
    console.log(`Data: ${counts.users} users, ${counts.projects} projects, ${counts.budgets} budgets, ${counts.requests} requests (set-up incl. migrations ${fmt(setupSeconds, 1)}s).`);
    console.log("Answers of the gateway, plain PostGraphile and the raw SQL: identical (20 rows, all the user's own).\n");
    console.log(table.join("\n"));
    console.log(`\nAt 1 client, median per request: gateway ${fmt(a1.p50, 2)} ms = raw SQL transaction ${fmt(d1.p50, 2)} ms`
      + ` + PostGraphile over HTTP ${fmt(b1.p50 - d1.p50, 2)} ms + our middleware and auth ${fmt(a1.p50 - b1.p50, 2)} ms;`
      + ` the user check alone (user_credentials, pgbench, 1 client): ${fmt(userCheck.p50, 2)} ms, ${fmt(userCheck.tps, 0)}/s.`);
    console.log(`\n${os.cpus().length} cores (${os.cpus()[0]?.model}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}, ${new Date().toISOString()}, PostgreSQL ${(await owner.query("show server_version")).rows[0].server_version}, Node ${process.versions.node}`);
  } finally {
    await gateway?.close();
    await plain?.close();
    await owner.end();
    fs.rmSync(dir, { recursive: true, force: true });
    await onServer(`drop database if exists ${database} with (force)`);
  }
}

await main();
