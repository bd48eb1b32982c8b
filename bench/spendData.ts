// The data set of the spend benchmarks (growth, rollups): a database of their own with users who
// each have 3 projects and 2,000 requests spread over the last 180 days (4 agents, 4 providers
// with 2 models each; 5 in 8 executed with an actual cost, the rest approved, rejected or
// cancelled, independently of provider and model), the size of the measured user in issue 15 ("2,000 of the 2,000,000 rows"). The
// gateway in production mode serves it; `measure` times one GraphQL query sent back to back.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createTokenService } from "../src/auth/tokens.ts";
import { loadConfig } from "../src/config.ts";
import { AUTHENTICATOR_ROLE } from "../src/database/connect.ts";
import { runMigrations } from "../src/database/migrate.ts";
import { createLogger } from "../src/logger.ts";
import { startGateway } from "../src/server/gateway.ts";
import { onServer, percentile, urlFor } from "./lib.ts";

export const REQUESTS_PER_USER = 2000;
export const DAYS = 180;

export interface SpendDatabase {
  database: string;
  owner: pg.Pool;
  /** Users added so far (the first one is the measured user). */
  users: number;
  /** Appends `count` users with their projects and requests, then rebuilds the rollups and analyzes. */
  addUsers(count: number): Promise<{ seconds: number; rebuildSeconds: number }>;
  drop(): Promise<void>;
}

export async function createSpendDatabase(prefix: string): Promise<SpendDatabase> {
  const database = `spendgate_bench_${prefix}_${randomBytes(4).toString("hex")}`;
  await onServer(`create database ${database}`);
  const ownerUrl = urlFor(database);
  await runMigrations(ownerUrl, "up");
  const owner = new pg.Pool({ connectionString: ownerUrl, max: 4 });
  const self: SpendDatabase = {
    database,
    owner,
    users: 0,
    async addUsers(count) {
      const started = performance.now();
      const client = await owner.connect();
      try {
        // Bulk load without the row triggers (the superuser's replica mode): the rollups are then
        // rebuilt in one pass, as the backfill migration does. The rollup bench measures the
        // trigger's cost on settlement separately.
        await client.query("set session_replication_role = replica");
        await client.query(
          `with new_users as (
             insert into app_public.users (email, available_balance)
             select 'bench-' || n || '@example.com', 1000000 from generate_series($1::int, $2::int) n
             returning user_id
           ), new_projects as (
             insert into app_public.projects (user_id, name)
             select user_id, 'project ' || k from new_users, generate_series(0, 2) k
             returning user_id, project_id, name
           )
           insert into app_public.requests (user_id, project_id, agent_id, api_provider, model_name, endpoint, status,
               estimated_cost, reserved_cost, actual_cost, created_at)
           select p.user_id, p.project_id, 'agent-' || (g % 4), (array['openai', 'anthropic', 'mistral', 'google'])[1 + g % 4],
                  (array['small', 'large'])[1 + (g / 4) % 2], 'chat', s.status, 0.02,
                  case when s.status = 'approved' then 0.02 else 0 end,
                  case when s.status = 'executed' then round((0.001 + random() * 0.05)::numeric, 6) end,
                  now() - random() * ($4::int * interval '1 day')
             from new_projects p
             join generate_series(1, $3::int) g on p.name = 'project ' || (g % 3)
             cross join lateral (select (array['executed', 'executed', 'executed', 'executed', 'executed', 'approved', 'rejected', 'cancelled']::app_public.requeststatus[])[1 + (g / 8) % 8] as status) s`,
          [self.users + 1, self.users + count, REQUESTS_PER_USER, DAYS],
        );
        await client.query("set session_replication_role = origin");
      } finally {
        client.release();
      }
      self.users += count;
      const rebuildStarted = performance.now();
      await owner.query("select app_private.rebuild_spend_rollups()");
      const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
      await owner.query("vacuum analyze");
      return { seconds: (performance.now() - started) / 1000, rebuildSeconds };
    },
    async drop() {
      await owner.end();
      await onServer(`drop database if exists ${database} with (force)`);
    },
  };
  return self;
}

export interface BenchGateway {
  url: string;
  /** Authorization headers of the measured user (bench-1) and of an operator. */
  user: Record<string, string>;
  operator: Record<string, string>;
  userId: string;
  close(): Promise<void>;
}

/** The whole gateway (production mode, no worker) on the bench database, with tokens for bench-1 and an operator. */
export async function startBenchGateway(data: SpendDatabase): Promise<BenchGateway> {
  const secret = randomBytes(48).toString("base64");
  const { rows: [{ user_id: userId }] } = await data.owner.query<{ user_id: string }>("select user_id from app_public.users where email = 'bench-1@example.com'");
  const { rows: [{ user_id: operatorId }] } = await data.owner.query<{ user_id: string }>(
    "insert into app_public.users (email, role) values ('operator-' || gen_random_uuid() || '@example.com', 'operator') returning user_id",
  );
  const config = loadConfig({ NODE_ENV: "production", PORT: "0", HOST: "127.0.0.1", JWT_SECRET: secret, ACCESS_TOKEN_TTL_S: "86400", WORKER: "off", DB_POOL_MAX: "8", DB_POOL_MIN: "0", LOG_LEVEL: "silent" });
  const gateway = await startGateway(config, createLogger("silent"), {
    ownerUrl: urlFor(data.database),
    authUrl: urlFor(data.database, AUTHENTICATOR_ROLE),
    authenticatorPassword: undefined,
    embedded: undefined,
  });
  const tokens = createTokenService(config.jwt, new TextEncoder().encode(secret));
  const bearer = async (id: string, role: "user" | "operator") => ({ authorization: `Bearer ${(await tokens.sign({ userId: id, role })).token}` });
  return { url: gateway.url, userId, user: await bearer(userId, "user"), operator: await bearer(operatorId, "operator"), close: () => gateway.close() };
}

/** POSTs a query; throws unless the answer is a 200 with data and no errors. */
export async function ask<T = any>(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (response.status !== 200 || body.errors || !body.data) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body).slice(0, 400)}`);
  return body.data;
}

export interface Latency {
  p50: number;
  p99: number;
  runs: number;
}

/** Sends the query `runs` times back to back (after 2 unmeasured runs) and reports its latency in ms. */
export async function measure(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown>, runs: number): Promise<Latency> {
  for (let i = 0; i < 2; i++) await ask(url, headers, query, variables);
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await ask(url, headers, query, variables);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), runs };
}

export const isoDay = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

/** The scenarios both benchmarks time: GraphQL documents with their variables and caller. */
export const QUERIES = {
  lookup: { as: "user", query: "query($id: UUID!) { user(userId: $id) { userId tier totalSpending availableBalance } }" },
  last20: { as: "user", query: "{ requests(first: 20, orderBy: CREATED_AT_DESC) { nodes { requestId status estimatedCost project { name } } } }" },
  userRaw: { as: "user", query: "{ requests { groupedAggregates(groupBy: [API_PROVIDER, CREATED_AT_TRUNCATED_TO_DAY]) { keys sum { actualCost } } } }" },
  userRollup: { as: "user", query: "query($first: Date) { dailySpendBetween(firstDay: $first) { groupedAggregates(groupBy: [API_PROVIDER, DAY]) { keys sum { actualCost } } } }" },
  operatorRaw: { as: "operator", query: "{ requests { groupedAggregates(groupBy: [API_PROVIDER, CREATED_AT_TRUNCATED_TO_DAY]) { keys sum { actualCost } } } }" },
  operatorRollup: { as: "operator", query: "query($first: Date) { platformDailySpendBetween(firstDay: $first) { groupedAggregates(groupBy: [API_PROVIDER, DAY]) { keys sum { actualCost } } } }" },
} as const;

type Group = { keys: string[]; sum: { actualCost: string | null } };

/** Spend by provider and day from a groupedAggregates answer: "provider day" -> amount, days as YYYY-MM-DD, no empty groups. */
export function byProviderAndDay(groups: Group[]): Map<string, string> {
  return new Map(groups.filter((g) => g.sum.actualCost !== null && Number(g.sum.actualCost) !== 0)
    .map((g) => [`${g.keys[0]} ${g.keys[1]!.slice(0, 10)}`, Number(g.sum.actualCost).toFixed(8)]));
}
