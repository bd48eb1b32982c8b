// `npm run bench -- gateway`: the gateway against PostGraphile itself, per process (issue 15).
// Three servers, each in its own process (bench/server.ts), loaded by autocannon from another
// (bench/harness.ts) in alternating rounds, every answer checked:
//   gateway          the whole gateway, NODE_ENV=production, Bearer JWT, RLS;
//   plain-auth       plain PostGraphile with the same authentication model (JWT verified,
//                    pgSettings with role and claims, the same RLS): the fair baseline;
//   plain-anonymous  plain PostGraphile without pgSettings (owner's pool, no RLS): the ceiling;
//   gateway-redis    (point lookup only) the gateway with REDIS_URL: the session checked in Redis.
// Scenarios: a point lookup of the caller's own user row, the caller's 20 latest requests with
// their project, the caller's spend grouped by provider and day, and a bad JWT (the cost of a
// rejection). For each server: requests/s, p50/p99, database time per request (CPU time of the
// PostgreSQL backends serving it) and Node CPU time per request; pgbench runs the point
// lookup's SQL in PostGraphile's transaction shape as the floor. Before measuring, the three
// servers must return the same data. BENCH_SECONDS per round, BENCH_ROUNDS rounds,
// BENCH_CONNECTIONS concurrent connections, BENCH_SCENARIOS (comma-separated name prefixes, e.g.
// `point,bad`) to run only some; its own database on BENCH_DATABASE_URL.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import pg from "pg";
import { createTokenService } from "../src/auth/tokens.ts";
import { loadConfig } from "../src/config.ts";
import { AUTHENTICATOR_ROLE } from "../src/database/connect.ts";
import { runMigrations } from "../src/database/migrate.ts";
import { measure, median, startServer, type Measurement, type Request, type Server, type ServerKind } from "./harness.ts";
import { fmt, onServer, pgbench, SECONDS, urlFor } from "./lib.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const POOL_MAX = 10;
const USERS = 1000;
const PROJECTS_PER_USER = 3;
const REQUESTS_PER_USER = 50;
const SECRET = randomBytes(48).toString("base64");
const KINDS: ServerKind[] = ["gateway", "plain-auth", "plain-anonymous"];
/** `npm start` with its default WEB_CONCURRENCY, against the same baselines (issue 15 part 4). */
const CLUSTER: ServerKind = "gateway-cluster";
/** The gateway with REDIS_URL: the session's credential check in Redis (one round trip), not in memory. */
const REDIS: ServerKind = "gateway-redis";
/** Measured on the point lookup only: the other scenarios differ from the gateway's only in their query. */
const POINT_LOOKUP_ONLY: ServerKind[] = [CLUSTER, REDIS];

interface Scenario {
  name: string;
  query: string;
  /** Expected HTTP status; a rejection scenario is not run against the anonymous server. */
  expect: number;
  badToken?: boolean;
}

const POINT_LOOKUP = "point lookup: own user row";
const CHOSEN = process.env.BENCH_SCENARIOS?.split(",").map((prefix) => prefix.trim());

function scenarios(userId: string): Scenario[] {
  return allScenarios(userId).filter((scenario) => !CHOSEN || CHOSEN.some((prefix) => scenario.name.startsWith(prefix)));
}

function allScenarios(userId: string): Scenario[] {
  return [
    { name: POINT_LOOKUP, expect: 200, query: `{ user(userId: "${userId}") { userId tier totalSpending availableBalance } }` },
    {
      name: "own 20 latest requests with their project",
      expect: 200,
      query: `{ requests(condition: {userId: "${userId}"}, first: 20, orderBy: CREATED_AT_DESC) { nodes { requestId status estimatedCost project { name } } } }`,
    },
    {
      name: "own spend by provider and day",
      expect: 200,
      query: `{ requests(condition: {userId: "${userId}"}) { groupedAggregates(groupBy: [API_PROVIDER, CREATED_AT_TRUNCATED_TO_DAY]) { keys sum { actualCost } } } }`,
    },
    { name: "bad JWT (rejection)", expect: 401, badToken: true, query: `{ user(userId: "${userId}") { userId } }` },
  ];
}

async function main() {
  const database = `spendgate_bench_gw_${randomBytes(4).toString("hex")}`;
  await onServer(`create database ${database}`);
  const ownerUrl = urlFor(database);
  const authUrl = urlFor(database, AUTHENTICATOR_ROLE);
  const owner = new pg.Pool({ connectionString: ownerUrl, max: 4, application_name: "bench" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-bench-"));
  const servers: Server[] = [];
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

    for (const kind of [...KINDS, ...POINT_LOOKUP_ONLY]) servers.push(await startServer(kind, { ownerUrl, authUrl, jwtSecret: SECRET, poolMax: POOL_MAX }));
    const config = loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET });
    // A token as login issues it, with a session: the gateway checks the session too (in memory,
    // or in Redis for gateway-redis); plain PostGraphile ignores it.
    const { rows: [{ session_id: sessionId }] } = await owner.query<{ session_id: string }>(
      "select app_private.create_session($1, $2, interval '1 day') as session_id",
      [userId, randomBytes(32).toString("hex")],
    );
    const token = (await createTokenService(config.jwt, new TextEncoder().encode(SECRET)).sign({ userId, role: "user", sessionId })).token;
    const badToken = `${token.slice(0, -4)}AAAA`;

    const requestFor = (scenario: Scenario, server: Server): Request => ({
      method: "POST",
      path: "/graphql",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        ...(server.kind === "plain-anonymous" ? {} : { authorization: `Bearer ${scenario.badToken ? badToken : token}` }),
      },
      body: JSON.stringify({ query: scenario.query }),
      expect: scenario.expect,
    });

    const results = new Map<string, Measurement>();
    const all = scenarios(userId);
    for (const scenario of all) {
      // The cluster (every core) and the gateway with Redis are measured on the point lookup only.
      const contenders = servers.filter((server) => !(scenario.badToken && server.kind === "plain-anonymous") && (!POINT_LOOKUP_ONLY.includes(server.kind) || scenario.name === POINT_LOOKUP));
      // Same answers everywhere before anything is measured.
      const answers = await Promise.all(contenders.map(async (server) => {
        const request = requestFor(scenario, server);
        const response = await fetch(`${server.url}${request.path}`, { method: "POST", headers: request.headers, body: request.body });
        const body = (await response.json()) as { data?: unknown };
        if (response.status !== scenario.expect) throw new Error(`${scenario.name}: ${server.kind} answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
        return body.data;
      }));
      if (scenario.expect === 200 && !answers.every((answer) => isDeepStrictEqual(answer, answers[0]))) {
        throw new Error(`${scenario.name}: the servers returned different data: ${answers.map((a) => JSON.stringify(a).slice(0, 200)).join(" / ")}`);
      }
      for (const server of contenders) await measure(server, requestFor(scenario, server), CONNECTIONS, 1, owner, database); // warm-up
      const rounds = new Map<ServerKind, Measurement[]>();
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate who goes first, so that a drift in the machine's load hits all alike.
        const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
        for (const server of order) {
          const m = await measure(server, requestFor(scenario, server), CONNECTIONS, SECONDS, owner, database);
          rounds.set(server.kind, [...(rounds.get(server.kind) ?? []), m]);
        }
      }
      for (const [kind, measured] of rounds) results.set(`${scenario.name}/${kind}`, median(measured));
    }
    for (const server of servers.splice(0)) await server.stop();

    // The floor: the point lookup's SQL in PostGraphile's transaction shape, as the authenticator.
    const lookup = await pgbench(database, `begin;
select set_config('role', 'spendgate_user', true), set_config('jwt.claims.user_id', '${userId}', true), set_config('jwt.claims.role', 'spendgate_user', true);
select user_id, tier, total_spending, available_balance from app_public.users where user_id = '${userId}';
commit;
`, CONNECTIONS, dir, AUTHENTICATOR_ROLE);

    console.log(`\n## The gateway vs plain PostGraphile, per process (${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s, medians)\n`);
    console.log(`Data: ${counts.users} users, ${counts.projects} projects, ${counts.budgets} budgets, ${counts.requests} requests (set-up ${fmt(setupSeconds, 1)} s). Same answers from all servers, checked first.\n`);
    console.log("| scenario | server | req/s | p50 / p99 ms | DB ms/req | Node CPU ms/req | load generator CPU ms/req | req/s vs plain-auth | req/s vs anonymous |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const scenario of all) {
      const auth = results.get(`${scenario.name}/plain-auth`)!;
      const anonymous = results.get(`${scenario.name}/plain-anonymous`);
      for (const kind of [...KINDS, ...POINT_LOOKUP_ONLY]) {
        const m = results.get(`${scenario.name}/${kind}`);
        if (!m) continue;
        console.log(`| ${scenario.name} | ${kind} | ${fmt(m.rps, 0)} | ${fmt(m.p50, 1)} / ${fmt(m.p99, 1)} | ${fmt(m.dbMs, 3)} | ${fmt(m.nodeMs, 3)} | ${fmt(m.loadgenMs, 3)} | ${fmt(m.rps / auth.rps, 2)} | ${anonymous ? fmt(m.rps / anonymous.rps, 2) : "-"} |`);
      }
    }
    console.log(`\npgbench, point lookup SQL in PostGraphile's transaction shape (begin, set_config, select, commit), ${CONNECTIONS} clients: ${fmt(lookup.tps, 0)} tx/s, p50 ${fmt(lookup.p50, 2)} ms, p99 ${fmt(lookup.p99, 2)} ms.`);
    console.log(`\n${os.cpus().length} cores (${os.cpus()[0]?.model}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}, ${new Date().toISOString()}, PostgreSQL ${(await owner.query("show server_version")).rows[0].server_version}, Node ${process.versions.node}`);
  } finally {
    for (const server of servers) await server.stop();
    await owner.end();
    fs.rmSync(dir, { recursive: true, force: true });
    await onServer(`drop database if exists ${database} with (force)`);
  }
}

await main();
