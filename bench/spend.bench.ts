// `npm run bench -- spend`: what submitRequest costs through the whole gateway compared with the
// same SQL function called directly by pgbench with the same preamble, in the same run (issue 15).
// The gateway runs in its own process (bench/server.ts, NODE_ENV=production) and the load comes
// from autocannon in another (bench/loadgen.ts): agents calling with their API key (X-API-Key),
// on one shared budget (every call serialises on one user's row lock) and on many budgets (one
// user, API key, project and budget per connection: the load generator gives each connection its
// own), and again on many budgets with a fresh idempotency key per call (made by the load
// generator). Every call is approved (the limits are high) and every answer must be a 200 whose
// body says "approved": anything else voids the run. At each client count the gateway and
// pgbench take turns, BENCH_ROUNDS rounds (who goes first alternates); medians are reported,
// with the gateway's database time and Node CPU per request (bench/harness.ts). After the load,
// every budget's counter must equal its outstanding reservations.
// Then app_private.reset_budgets over BENCH_RESET_ROWS due budgets next to a bare UPDATE of the
// same rows. Creates and drops its own database on BENCH_DATABASE_URL.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { generateApiKey } from "../src/auth/apiKeys.ts";
import { loadConfig } from "../src/config.ts";
import { AUTHENTICATOR_ROLE } from "../src/database/connect.ts";
import { runMigrations } from "../src/database/migrate.ts";
import { measure, median, startServer, type Measurement, type Request, type Server } from "./harness.ts";
import { fmt, onServer, pgbench, SECONDS, urlFor, type Result } from "./lib.ts";

// BENCH_CLIENTS (e.g. "1,16") narrows the steps on a busy machine: 64 pgbench clients need 64 free connections.
const CONCURRENCY = (process.env.BENCH_CLIENTS ?? "1,16,64").split(",").map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** Users with their own key, project and budget: one per connection at the highest client count. */
const MANY = Math.max(...CONCURRENCY);
/** The gateway's pool (DB_POOL_MAX), as in a deployment sized for this machine. */
const POOL_MAX = Number(process.env.BENCH_POOL_MAX ?? 16);
const RESET_ROWS = Number(process.env.BENCH_RESET_ROWS ?? 1_000_000);
const SECRET = randomBytes(48).toString("base64");
/** The load generator replaces it by a fresh UUID in every request. */
const FRESH = "FRESH-IDEMPOTENCY-KEY";
const SUBMIT = `mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { request { status } } }`;

// Bench user n (0 = the shared one) has predictable ids, so that pgbench can compute them from
// :client_id instead of looking them up in each transaction.
const userIdSql = (n: string) => `('00000000-0000-4000-8000-' || lpad((${n})::text, 12, '0'))`;
const projectIdSql = (n: string) => `('00000000-0000-4000-9000-' || lpad((${n})::text, 12, '0'))`;
const apiKeyIdSql = (n: string) => `(1000000 + ${n})`;

interface Scenario {
  label: string;
  /** Bench user of connection / pgbench client i, as SQL over pgbench's :client_id. */
  who: string;
  users: (i: number) => number;
  keyed: boolean;
}

const SCENARIOS: Scenario[] = [
  { label: "one shared", who: "0", users: () => 0, keyed: false },
  { label: "many (one per client)", who: `1 + :client_id % ${MANY}`, users: (i) => 1 + i, keyed: false },
  { label: "many, fresh idempotencyKey", who: `1 + :client_id % ${MANY}`, users: (i) => 1 + i, keyed: true },
];

/**
 * What the gateway runs for an agent's call (src/graphql/context.ts pgSettingsFor,
 * src/graphql/withPgClient.ts): begin, the settings of an API key's identity in one statement,
 * the function, commit; as the authenticator, as the gateway connects.
 */
function pgbenchScript(s: Scenario, statementTimeoutMs: number): string {
  return `\\set n ${s.who}
begin;
select set_config('role', 'spendgate_user', true), set_config('statement_timeout', '${statementTimeoutMs}', true),
       set_config('jwt.claims.role', 'spendgate_user', true), set_config('jwt.claims.user_id', ${userIdSql(":n")}, true),
       set_config('jwt.claims.api_key_id', ${apiKeyIdSql(":n")}::text, true);
select status from app_public.submit_request(${projectIdSql(":n")}::uuid, 'bench', 'openai', 'gpt-4o', 'chat', '{}', 0.001${s.keyed ? ", null, gen_random_uuid()::text" : ""});
commit;
`;
}

async function main() {
  const database = `spendgate_bench_${randomBytes(4).toString("hex")}`;
  await onServer(`create database ${database}`);
  const ownerUrl = urlFor(database);
  const authUrl = urlFor(database, AUTHENTICATOR_ROLE);
  const owner = new pg.Pool({ connectionString: ownerUrl, max: 4, application_name: "bench" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spend-bench-"));
  const loadAverages = [os.loadavg()];
  let gateway: Server | undefined;
  try {
    await runMigrations(ownerUrl, "up");
    // Users 0..MANY, each with a project, a budget for it and an agent's API key; limits and
    // balances high enough that every call is approved (the approved path is the expensive one:
    // it writes the budget and the user row).
    const keys = Array.from({ length: MANY + 1 }, () => generateApiKey());
    await owner.query(`insert into app_public.users (user_id, email, available_balance)
      select ${userIdSql("n")}::uuid, 'bench' || n || '@example.com', 1000000000 from generate_series(0, $1::int) n`, [MANY]);
    await owner.query(`insert into app_public.projects (project_id, user_id, name)
      select ${projectIdSql("n")}::uuid, ${userIdSql("n")}::uuid, 'agents' from generate_series(0, $1::int) n`, [MANY]);
    await owner.query(`insert into app_public.budgets (user_id, project_id, daily_limit, monthly_limit, per_request_limit)
      select ${userIdSql("n")}::uuid, ${projectIdSql("n")}::uuid, 1000000, 10000000, 10 from generate_series(0, $1::int) n`, [MANY]);
    await owner.query(
      `insert into app_public.api_keys (id, user_id, name, key_hash, key_prefix) overriding system value
       select ${apiKeyIdSql("n")}, ${userIdSql("n")}::uuid, 'agent', h.key_hash, h.key_prefix
         from unnest($1::text[], $2::text[]) with ordinality h(key_hash, key_prefix, ord), lateral (select (ord - 1)::int as n) i`,
      [keys.map((k) => k.hash), keys.map((k) => k.prefix)],
    );
    await owner.query("vacuum analyze");

    const config = loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET });
    gateway = await startServer("gateway", { ownerUrl, authUrl, jwtSecret: SECRET, poolMax: POOL_MAX });
    const requestFor = (s: Scenario): Request => ({
      method: "POST",
      path: "/graphql",
      headers: { "content-type": "application/json", accept: "application/json" },
      perConnection: Array.from({ length: MANY }, (_, i) => {
        const n = s.users(i);
        const input = { projectId: projectId(n), agentId: "bench", apiProvider: "openai", modelName: "gpt-4o", endpoint: "chat", estimatedCost: "0.001", ...(s.keyed && { idempotencyKey: FRESH }) };
        return { headers: { "x-api-key": keys[n]!.key }, body: JSON.stringify({ query: SUBMIT, variables: { input } }) };
      }),
      freshToken: s.keyed ? FRESH : undefined,
      expectInBody: '"status":"approved"',
      expect: 200,
    });
    // Warm-up: plans, the credential cache, V8's JIT.
    await measure(gateway, requestFor(SCENARIOS[1]!), 16, 1, owner, database);

    const results: { s: Scenario; clients: number; gateway: Measurement; pgbench: Result }[] = [];
    let step = 0;
    for (const s of SCENARIOS) {
      for (const clients of CONCURRENCY) {
        const viaGateway: Measurement[] = [];
        const direct: Result[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          // Alternate who goes first, so that a drift in the machine's load hits both alike.
          const runs = [
            async () => viaGateway.push(await measure(gateway!, requestFor(s), clients, SECONDS, owner, database)),
            async () => direct.push(await pgbench(database, pgbenchScript(s, config.graphql.statementTimeoutMs), clients, dir, AUTHENTICATOR_ROLE, owner)),
          ];
          if ((round + step) % 2) runs.reverse();
          for (const run of runs) await run();
        }
        step++;
        const mid = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
        results.push({
          s,
          clients,
          gateway: median(viaGateway),
          pgbench: { tps: mid(direct.map((d) => d.tps)), p50: mid(direct.map((d) => d.p50)), p99: mid(direct.map((d) => d.p99)), dbMs: mid(direct.map((d) => d.dbMs!)), clientMs: mid(direct.map((d) => d.clientMs!)), count: direct.reduce((n, d) => n + d.count, 0) },
        });
      }
    }
    await gateway.stop();
    gateway = undefined;
    loadAverages.push(os.loadavg());

    // The books still balance after the load: counters equal the outstanding reservations.
    const check = await owner.query(
      `select count(*)::int as bad, (select count(*)::int from app_public.requests) as requests,
              (select count(distinct user_id)::int from app_public.requests) as users
         from app_public.budgets b
        where b.current_daily_spending <> (select coalesce(sum(r.reserved_cost), 0) from app_public.requests r where r.user_id = b.user_id and r.status = 'approved')
           or b.reserved_spending <> (select coalesce(sum(r.reserved_cost), 0) from app_public.requests r where r.user_id = b.user_id and r.status = 'approved')`,
    );

    const reset = await resetBudgets(owner);
    loadAverages.push(os.loadavg());

    console.log(`\n## submitRequest: gateway vs pgbench (${ROUNDS} alternating rounds of ${SECONDS} s per step, medians; gateway pool ${POOL_MAX})\n`);
    console.log("| budgets | clients | gateway req/s | p50 / p99 ms | DB ms/req | Node CPU ms/req | autocannon ms/req | pgbench tx/s | p50 / p99 ms | DB ms/tx | pgbench ms/tx | gateway / pgbench |");
    console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (const { s, clients, gateway: g, pgbench: d } of results) {
      console.log(`| ${s.label} | ${clients} | ${fmt(g.rps, 0)} | ${fmt(g.p50, 0)} / ${fmt(g.p99, 0)} | ${fmt(g.dbMs, 2)} | ${fmt(g.nodeMs, 2)} | ${fmt(g.loadgenMs, 2)} | ${fmt(d.tps, 0)} | ${fmt(d.p50, 1)} / ${fmt(d.p99, 1)} | ${fmt(d.dbMs!, 2)} | ${fmt(d.clientMs!, 2)} | ${fmt(g.rps / d.tps, 2)} |`);
    }
    console.log("\nCPU ms per request or transaction: DB = the PostgreSQL backends serving it; Node = the gateway process; autocannon and pgbench = the load generator's own process.");
    console.log(`\nrequests recorded: ${check.rows[0].requests}, by ${check.rows[0].users} users; budgets whose counters differ from the outstanding reservations after the load: ${check.rows[0].bad}`);
    console.log(`\n## reset_budgets over ${RESET_ROWS} budgets (set-up ${fmt(reset.loadSeconds, 1)} s)\n`);
    console.log(reset.table.join("\n"));
    console.log(`\n${os.cpus().length} cores (${os.cpus()[0]?.model}), ${new Date().toISOString()}, PostgreSQL ${(await owner.query("show server_version")).rows[0].server_version}, Node ${process.versions.node}`);
    console.log(`load average (1, 5, 15 min) at the start ${loadAverages[0]!.map((l) => l.toFixed(2)).join(" ")}, after submitRequest ${loadAverages[1]!.map((l) => l.toFixed(2)).join(" ")}, at the end ${loadAverages[2]!.map((l) => l.toFixed(2)).join(" ")}`);
    if (check.rows[0].bad !== 0) throw new Error(`${check.rows[0].bad} budgets' counters differ from their outstanding reservations`);
  } finally {
    await gateway?.stop();
    await owner.end();
    fs.rmSync(dir, { recursive: true, force: true });
    await onServer(`drop database if exists ${database} with (force)`);
  }
}

const projectId = (n: number) => `00000000-0000-4000-9000-${String(n).padStart(12, "0")}`;

/**
 * reset_budgets over RESET_ROWS due budgets (1000 users x RESET_ROWS/1000 projects, loaded with
 * triggers off to keep the set-up short), then a bare UPDATE of the same rows and columns, then
 * reset_budgets again (nothing due).
 */
async function resetBudgets(owner: pg.Pool): Promise<{ loadSeconds: number; table: string[] }> {
  const t0 = performance.now();
  const users = Math.max(1, Math.min(1000, RESET_ROWS));
  const load = await owner.connect();
  try {
    await load.query("begin");
    await load.query("set local session_replication_role = replica");
    await load.query(`insert into app_public.users (user_id, email) select gen_random_uuid(), 'reset' || n || '@example.com' from generate_series(1, $1::int) n`, [users]);
    await load.query(`insert into app_public.projects (user_id, name)
      select u.user_id, 'p' || g from (select user_id from app_public.users where email like 'reset%') u, generate_series(1, $1::int / $2::int) g`, [RESET_ROWS, users]);
    await load.query(`insert into app_public.budgets (user_id, project_id, daily_limit, monthly_limit, current_daily_spending,
        current_monthly_spending, reserved_spending, daily_period_start, period_start, period_end)
      select p.user_id, p.project_id, 10, 100, 3, 30, 1,
             date_trunc('day', now() at time zone 'utc') at time zone 'utc' - interval '1 day',
             date_trunc('month', now() at time zone 'utc') at time zone 'utc' - interval '3 months',
             date_trunc('month', now() at time zone 'utc') at time zone 'utc' - interval '2 months'
        from app_public.projects p join app_public.users u using (user_id) where u.email like 'reset%'`);
    await load.query("commit");
  } finally {
    load.release();
  }
  await owner.query("vacuum analyze app_public.budgets");
  const loadSeconds = (performance.now() - t0) / 1000;
  const timed = async (sql: string) => {
    const start = performance.now();
    const result = await owner.query(sql);
    return { seconds: (performance.now() - start) / 1000, result };
  };
  // reset_budgets first (every row is due; the first statement pays for rewriting freshly loaded
  // rows, the conservative order for it), then the bare UPDATE of the same rows and columns (it
  // does not care whether they are due), with a vacuum between so both start clean.
  const reset = await timed("select app_private.reset_budgets(now()) as n");
  await owner.query("vacuum analyze app_public.budgets");
  const bare = await timed(`update app_public.budgets set current_daily_spending = reserved_spending,
      daily_period_start = date_trunc('day', now() at time zone 'utc') at time zone 'utc',
      current_monthly_spending = reserved_spending,
      period_start = period_start + interval '1 month', period_end = period_end + interval '1 month'
    where reserved_spending = 1`);
  await owner.query("vacuum analyze app_public.budgets");
  const again = await timed("select app_private.reset_budgets(now()) as n");
  return {
    loadSeconds,
    table: [
      "| statement | rows | seconds | rows/s | vs bare UPDATE |",
      "|---|---|---|---|---|",
      `| \`reset_budgets(now())\` | ${reset.result.rows[0].n} | ${fmt(reset.seconds, 2)} | ${fmt(reset.result.rows[0].n / reset.seconds, 0)} | ${fmt(reset.seconds / bare.seconds, 2)} |`,
      `| bare \`UPDATE\` of the same columns | ${bare.result.rowCount} | ${fmt(bare.seconds, 2)} | ${fmt(bare.result.rowCount! / bare.seconds, 0)} | 1.00 |`,
      `| \`reset_budgets(now())\` again (nothing due) | ${again.result.rows[0].n} | ${fmt(again.seconds, 2)} | | ${fmt(again.seconds / bare.seconds, 2)} |`,
    ],
  };
}

await main();
