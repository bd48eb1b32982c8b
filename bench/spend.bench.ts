// `npm run bench -- spend`: what submitRequest costs through the whole gateway (HTTP, JWT,
// PostGraphile, the transaction with role and claims) compared with the same SQL function called
// directly by pgbench, in the same run, at 1, 16 and 64 concurrent clients, on one shared budget
// (every call serialises on one user's row lock) and on many budgets (one user per client), and
// on many budgets again with a fresh idempotency key per call (the lookup it adds).
// Then app_private.reset_budgets over 1,000,000 due budgets next to a bare UPDATE of the same
// rows. Creates and drops its own database on BENCH_DATABASE_URL.
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createTokenService } from "../src/auth/tokens.ts";
import { loadConfig } from "../src/config.ts";
import { AUTHENTICATOR_ROLE } from "../src/database/connect.ts";
import { runMigrations } from "../src/database/migrate.ts";
import { createLogger } from "../src/logger.ts";
import { startGateway } from "../src/server/gateway.ts";
import { fmt, onServer, pgbench, SECONDS, summarise, urlFor, type Result } from "./lib.ts";

// BENCH_CLIENTS (e.g. "1,16") narrows the steps on a busy machine: 64 pgbench clients need 64 free connections.
const CONCURRENCY = (process.env.BENCH_CLIENTS ?? "1,16,64").split(",").map(Number);
const MANY = 64;
const RESET_ROWS = Number(process.env.BENCH_RESET_ROWS ?? 1_000_000);
const SECRET = randomBytes(48).toString("base64");

const SUBMIT = `mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { request { status } } }`;

async function httpLoad(url: string, tokens: string[], concurrency: number, keyed = false): Promise<Result> {
  const latencies: number[] = [];
  let approved = 0;
  let failures = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const input = { agentId: "bench", apiProvider: "openai", modelName: "gpt-4o", endpoint: "chat", estimatedCost: "0.001" };
  const body = () => JSON.stringify({ query: SUBMIT, variables: { input: keyed ? { ...input, idempotencyKey: randomUUID() } : input } });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const headers = { "content-type": "application/json", authorization: `Bearer ${tokens[i % tokens.length]}` };
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const response = await fetch(`${url}/graphql`, { method: "POST", headers, body: body() });
        const json = (await response.json()) as { data?: { submitRequest?: { request?: { status: string } } } };
        latencies.push(performance.now() - t0);
        if (json.data?.submitRequest?.request?.status === "approved") approved++;
        else failures++;
      }
    }),
  );
  if (failures) throw new Error(`${failures} submitRequest calls were not approved`);
  return { ...summarise(latencies, (performance.now() - started) / 1000), approved };
}

async function main() {
  const database = `spendgate_bench_${randomBytes(4).toString("hex")}`;
  await onServer(`create database ${database}`);
  const ownerUrl = urlFor(database);
  const owner = new pg.Pool({ connectionString: ownerUrl, max: 4 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spend-bench-"));
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    await runMigrations(ownerUrl, "up");
    // One shared user+budget, and MANY users with one budget each; limits high enough that
    // every call is approved (the approved path is the expensive one: it writes the budgets).
    const { rows } = await owner.query<{ user_id: string; n: number }>(
      `with u as (
         insert into app_public.users (email, available_balance)
         select 'bench' || n || '@example.com', 1000000000 from generate_series(0, $1) n
         returning user_id, email
       ), b as (
         insert into app_public.budgets (user_id, daily_limit, monthly_limit, per_request_limit)
         select user_id, 1000000, 10000000, 10 from u
       )
       select user_id, substring(email from 'bench(\\d+)@')::int as n from u order by 2`,
      [MANY],
    );
    await owner.query("create table public.bench_users (n int primary key, user_id uuid not null)");
    await owner.query("insert into public.bench_users select * from unnest($1::int[], $2::uuid[])", [rows.map((r) => r.n), rows.map((r) => r.user_id)]);
    await owner.query("vacuum analyze");

    const config = loadConfig({ NODE_ENV: "production", PORT: "0", HOST: "127.0.0.1", JWT_SECRET: SECRET, WORKER: "off", DB_POOL_MAX: "32", DB_POOL_MIN: "0", LOG_LEVEL: "error" });
    const log = createLogger("error");
    gateway = await startGateway(config, log, { ownerUrl, authUrl: urlFor(database, AUTHENTICATOR_ROLE), authenticatorPassword: undefined, embedded: undefined });
    const tokens = createTokenService(config.jwt, new TextEncoder().encode(SECRET));
    const sharedUser = rows.find((r) => r.n === 0)!.user_id;
    const manyUsers = rows.filter((r) => r.n > 0).map((r) => r.user_id);
    const sharedTokens = [(await tokens.sign({ userId: sharedUser, role: "user" })).token];
    const manyTokens = await Promise.all(manyUsers.map(async (userId) => (await tokens.sign({ userId, role: "user" })).token));

    const script = (who: string, keyed: boolean) => `begin;
select set_config('jwt.claims.user_id', (select user_id::text from public.bench_users where n = ${who}), true);
set local role spendgate_user;
select status from app_public.submit_request(null, 'bench', 'openai', 'gpt-4o', 'chat', '{}', 0.001${keyed ? ", null, md5(random()::text)" : ""});
commit;
`;
    const scenarios = [
      { label: "one shared", httpTokens: sharedTokens, who: "0", keyed: false },
      { label: "many (one per client)", httpTokens: manyTokens, who: `1 + :client_id % ${MANY}`, keyed: false },
      { label: "many, idempotencyKey", httpTokens: manyTokens, who: `1 + :client_id % ${MANY}`, keyed: true },
    ];
    // All gateway steps first, then the gateway's pool is closed and pgbench runs: both never
    // hold connections at the same time (max_connections is shared with everything else).
    await httpLoad(gateway.url, sharedTokens, 4); // warm-up: plans, JIT of the gateway
    const http = new Map<string, Result>();
    for (const s of scenarios) for (const c of CONCURRENCY) http.set(`${s.label}/${c}`, await httpLoad(gateway.url, s.httpTokens, c, s.keyed));
    await gateway.close();
    gateway = undefined;
    const table: string[] = [
      "| budgets | clients | gateway req/s | gateway p50 / p99 ms | pgbench tx/s | pgbench p50 / p99 ms | gateway / pgbench throughput |",
      "|---|---|---|---|---|---|---|",
    ];
    for (const s of scenarios) {
      for (const c of CONCURRENCY) {
        const viaHttp = http.get(`${s.label}/${c}`)!;
        const direct = pgbench(database, script(s.who, s.keyed), c, dir);
        table.push(`| ${s.label} | ${c} | ${fmt(viaHttp.tps, 0)} | ${fmt(viaHttp.p50, 2)} / ${fmt(viaHttp.p99, 2)} | ${fmt(direct.tps, 0)} | ${fmt(direct.p50, 2)} / ${fmt(direct.p99, 2)} | ${fmt(viaHttp.tps / direct.tps, 2)} |`);
      }
    }
    // The books still balance after the load: counters equal the outstanding reservations.
    const check = await owner.query(
      `select count(*)::int as bad from app_public.budgets b
        where b.current_daily_spending <> (select coalesce(sum(r.reserved_cost), 0) from app_public.requests r where r.user_id = b.user_id and r.status = 'approved')`,
    );

    // reset_budgets over RESET_ROWS due budgets (1000 users x RESET_ROWS/1000 projects), loaded
    // with triggers off (session_replication_role) to keep the set-up short.
    const t0 = performance.now();
    const load = await owner.connect();
    try {
      await load.query("begin");
      await load.query("set local session_replication_role = replica");
      await load.query(`insert into app_public.users (user_id, email) select gen_random_uuid(), 'reset' || n || '@example.com' from generate_series(1, 1000) n`);
      await load.query(`insert into app_public.projects (user_id, name)
        select u.user_id, 'p' || g from (select user_id from app_public.users where email like 'reset%') u, generate_series(1, $1::int / 1000) g`, [RESET_ROWS]);
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
    // reset_budgets first (every row is due), then the bare UPDATE of the same rows and columns
    // (it does not care whether they are due), with a vacuum between so both start clean.
    const reset = await timed("select app_private.reset_budgets(now()) as n");
    await owner.query("vacuum analyze app_public.budgets");
    const bare = await timed(`update app_public.budgets set current_daily_spending = reserved_spending,
        daily_period_start = date_trunc('day', now() at time zone 'utc') at time zone 'utc',
        current_monthly_spending = reserved_spending,
        period_start = period_start + interval '1 month', period_end = period_end + interval '1 month'
      where reserved_spending = 1`);
    await owner.query("vacuum analyze app_public.budgets");
    const again = await timed("select app_private.reset_budgets(now()) as n");
    const resetTable = [
      "| statement | rows | seconds | rows/s | vs bare UPDATE |",
      "|---|---|---|---|---|",
      `| bare \`UPDATE\` of the same columns | ${bare.result.rowCount} | ${fmt(bare.seconds, 2)} | ${fmt(bare.result.rowCount! / bare.seconds, 0)} | 1.00 |`,
      `| \`reset_budgets(now())\` | ${reset.result.rows[0].n} | ${fmt(reset.seconds, 2)} | ${fmt(reset.result.rows[0].n / reset.seconds, 0)} | ${fmt(reset.seconds / bare.seconds, 2)} |`,
      `| \`reset_budgets(now())\` again (nothing due) | ${again.result.rows[0].n} | ${fmt(again.seconds, 2)} | | ${fmt(again.seconds / bare.seconds, 2)} |`,
    ];
    console.log(`\n## submitRequest: gateway vs pgbench (${SECONDS}s per step)\n`);
    console.log(table.join("\n"));
    console.log(`\nbudgets whose daily counter differs from the outstanding reservations after the load: ${check.rows[0].bad}`);
    console.log(`\n## reset_budgets over ${RESET_ROWS} budgets (set-up ${fmt(loadSeconds, 1)}s)\n`);
    console.log(resetTable.join("\n"));
    console.log(`\n${os.cpus().length} cores (${os.cpus()[0]?.model}), ${new Date().toISOString()}, PostgreSQL ${(await owner.query("show server_version")).rows[0].server_version}`);
  } finally {
    await gateway?.close();
    await owner.end();
    fs.rmSync(dir, { recursive: true, force: true });
    await onServer(`drop database if exists ${database} with (force)`);
  }
}

await main();
