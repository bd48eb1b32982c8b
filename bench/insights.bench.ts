// `npm run bench -- insights`: spend insights at scale, in its own database on BENCH_DATABASE_URL.
//   1. The persona job (app_private.compute_personas) over BENCH_INSIGHTS_USERS consenting users
//      (default 100,000) with BENCH_INSIGHTS_REQUESTS requests each spread over 180 days: the first
//      run (every profile, history row and recommendation written) and a second, no-op run.
//   2. The response caches: the same read of a user's three views (mySpendProfile, mySignals,
//      myRecommendations) through a gateway with Redis and one without, side by side, at 16
//      clients for BENCH_SECONDS each, users picked at random among BENCH_CACHE_USERS (default 500);
//      during the Redis run a writer recomputes a random user's persona every 50 ms (each change
//      invalidates that user's keys), so the hit rate includes invalidations. Both gateways first
//      read every user's views once (the cache's steady state, not its cold start).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createTokenService } from "../src/auth/tokens.ts";
import { loadConfig } from "../src/config.ts";
import { AUTHENTICATOR_ROLE } from "../src/database/connect.ts";
import { runMigrations } from "../src/database/migrate.ts";
import { createLogger } from "../src/logger.ts";
import { startGateway, type Gateway } from "../src/server/gateway.ts";
import { fmt, onServer, SECONDS, summarise, urlFor, type Result } from "./lib.ts";

const USERS = Number(process.env.BENCH_INSIGHTS_USERS ?? 100_000);
const REQUESTS_PER_USER = Number(process.env.BENCH_INSIGHTS_REQUESTS ?? 10);
const CACHE_USERS = Number(process.env.BENCH_CACHE_USERS ?? 500);
const CONCURRENCY = 16;
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SECRET = randomBytes(48).toString("base64");
const QUERY = JSON.stringify({ query: "{ mySpendProfile { personaId } mySignals { signals30D } myRecommendations { recommendationId } }" });

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await fn();
  return [value, (performance.now() - started) / 1000];
}

/** Every user's views read once (16 at a time): the steady state a cache is measured in. */
async function warm(url: string, bearers: string[]): Promise<void> {
  for (let i = 0; i < bearers.length; i += CONCURRENCY) {
    await Promise.all(bearers.slice(i, i + CONCURRENCY).map((authorization) => fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization }, body: QUERY }).then((r) => r.text())));
  }
}

async function load(url: string, bearers: string[], seconds: number): Promise<Result> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const authorization = bearers[Math.floor(Math.random() * bearers.length)]!;
        const t0 = performance.now();
        const response = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization }, body: QUERY });
        const json = (await response.json()) as { data?: { mySpendProfile?: unknown } };
        latencies.push(performance.now() - t0);
        if (response.status !== 200 || !json.data?.mySpendProfile) throw new Error(`unexpected answer ${response.status} ${JSON.stringify(json).slice(0, 300)}`);
      }
    }),
  );
  return summarise(latencies, (performance.now() - started) / 1000);
}

const database = `spendgate_bench_insights_${randomBytes(4).toString("hex")}`;
await onServer(`create database ${database}`);
const ownerUrl = urlFor(database);
const authUrl = urlFor(database, AUTHENTICATOR_ROLE);
const owner = new pg.Pool({ connectionString: ownerUrl, max: 4 });
const gateways: Gateway[] = [];
try {
  await runMigrations(ownerUrl, "up");
  const [, seedSeconds] = await timed(async () => {
    await owner.query(`insert into app_public.users (email, consent_status) select 'u' || g || '@example.com', true from generate_series(1, $1) g`, [USERS]);
    // Spending shaped per user (steady, growing, bursty, dormant, with rejections) over 180 days.
    await owner.query(
      `insert into app_public.requests (user_id, api_provider, model_name, status, estimated_cost, actual_cost, created_at)
       select u.user_id, (array['openai', 'anthropic', 'google'])[1 + (n % 3)], (array['m-small', 'm-large'])[1 + (n % 2)],
              case when n % 11 = 5 then 'rejected' else 'executed' end::app_public.requeststatus, 1,
              case when n % 11 = 5 then null else 0.01 * (1 + (u.k % 5) * n) end,
              now() - make_interval(days => case u.k % 4 when 0 then 1 + n * 17 when 1 then 1 + n when 2 then 1 + (n % 3) else 40 + n end)
         from (select user_id, row_number() over () as k from app_public.users) u, generate_series(0, $1 - 1) n`,
      [REQUESTS_PER_USER],
    );
    await owner.query("analyze");
  });
  const [[first], firstSeconds] = await timed(async () => (await owner.query("select * from app_private.compute_personas(now())")).rows);
  const [[second], secondSeconds] = await timed(async () => (await owner.query("select * from app_private.compute_personas(now())")).rows);
  const personas = (await owner.query("select persona_name, count(*)::int as n from app_public.user_profiles group by 1 order by 1")).rows;

  console.log(`\n## compute_personas over ${USERS} users x ${REQUESTS_PER_USER} requests (seeded in ${fmt(seedSeconds)} s)\n`);
  console.log("| run | seconds | users/s | profiles changed | recommendations proposed |\n|---|---|---|---|---|");
  console.log(`| first | ${fmt(firstSeconds, 2)} | ${fmt(USERS / firstSeconds, 0)} | ${first.profiles_changed} | ${first.recommendations_proposed} |`);
  console.log(`| second (no change) | ${fmt(secondSeconds, 2)} | ${fmt(USERS / secondSeconds, 0)} | ${second.profiles_changed} | ${second.recommendations_proposed} |`);
  console.log(`\npersonas: ${personas.map((p) => `${p.persona_name} ${p.n}`).join(", ")}`);

  // Caches: a sample of users, two gateways on the same database.
  const { rows: sample } = await owner.query<{ user_id: string }>("select user_id from app_public.user_profiles order by random() limit $1", [CACHE_USERS]);
  const base = { NODE_ENV: "production", PORT: "0", HOST: "127.0.0.1", JWT_SECRET: SECRET, WORKER: "off", DB_POOL_MAX: "20", DB_POOL_MIN: "0", LOG_LEVEL: "silent" };
  const withRedis = await startGateway(loadConfig({ ...base, REDIS_URL, REDIS_KEY_PREFIX: `bench-${database}` }), createLogger("silent"), { ownerUrl, authUrl, authenticatorPassword: undefined, embedded: undefined });
  gateways.push(withRedis);
  const withoutRedis = await startGateway(loadConfig(base), createLogger("silent"), { ownerUrl, authUrl, authenticatorPassword: undefined, embedded: undefined });
  gateways.push(withoutRedis);
  const tokens = createTokenService(loadConfig(base).jwt, new TextEncoder().encode(SECRET));
  const bearers = await Promise.all(sample.map(async ({ user_id }) => `Bearer ${(await tokens.sign({ userId: user_id, role: "user" })).token}`));
  while (!withRedis.redis!.isReady()) await new Promise((resolve) => withRedis.redis!.client.once("ready", resolve));

  await warm(withoutRedis.url, bearers);
  const uncached = await load(withoutRedis.url, bearers, SECONDS);
  await warm(withRedis.url, bearers);
  let writes = 0;
  let writing = true;
  const writer = (async () => {
    while (writing) {
      const { user_id } = sample[Math.floor(Math.random() * sample.length)]!;
      // Touch the profile so that it changes (and is invalidated), then let the job set it back.
      await owner.query("update app_public.user_profiles set signals_30d = signals_30d || '{\"bench\": true}' where user_id = $1", [user_id]);
      await owner.query("select * from app_private.compute_personas(now(), $1)", [user_id]);
      writes++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const before = withRedis.cache.stats();
  const cached = await load(withRedis.url, bearers, SECONDS);
  writing = false;
  await writer;
  const after = withRedis.cache.stats();
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;

  console.log(`\n## response caches: ${CACHE_USERS} users, ${CONCURRENCY} clients, ${SECONDS} s each, ${writes} profile changes during the cached run\n`);
  console.log("| gateway | req/s | p50 ms | p99 ms | hit rate |\n|---|---|---|---|---|");
  console.log(`| without Redis (PostgreSQL every read) | ${fmt(uncached.tps, 0)} | ${fmt(uncached.p50, 2)} | ${fmt(uncached.p99, 2)} | n/a |`);
  console.log(`| with Redis | ${fmt(cached.tps, 0)} | ${fmt(cached.p50, 2)} | ${fmt(cached.p99, 2)} | ${fmt((100 * hits) / (hits + misses))}% (${hits} hits, ${misses} misses, bypassed ${after.bypassed - before.bypassed}) |`);
  console.log(`\ncached / uncached p50: ${fmt(cached.p50 / uncached.p50, 2)}; seed 003 target hit rate: >= 80%`);
} finally {
  for (const gateway of gateways) await gateway.close();
  await owner.end();
  await onServer(`drop database if exists ${database} with (force)`);
}
