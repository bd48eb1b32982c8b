// `npm run bench -- insights`: spend insights at scale, in its own database on BENCH_DATABASE_URL.
//   1. The persona job (app_private.compute_personas) at each size of BENCH_INSIGHTS_STEPS
//      (default: BENCH_INSIGHTS_USERS, 100,000) consenting users, each with
//      BENCH_INSIGHTS_REQUESTS requests (default 20) spread over 180 days, and every tenth user
//      with a completed upload of 10 transactions (5 naming their requests, 5 not): the users of
//      a step are added to those of the step before, and the derived tables are emptied, so each
//      step's first run writes every profile. Per step: the on-demand run for one user
//      (20 users, before the nightly run, so each writes its profile), the nightly run (every
//      profile, history row and recommendation written), a second, no-op nightly run, and the
//      on-demand run again (no change). After the last step, the plans of a nightly and an
//      on-demand run (auto_explain, with row counts and loops) go to BENCH_INSIGHTS_PLANS.
//   2. The response caches (skipped with BENCH_CACHE_USERS=0): the same read of a user's three
//      views (mySpendProfile, mySignals, myRecommendations) through a gateway with Redis and one
//      without, side by side, at 16 clients for BENCH_SECONDS each, users picked at random among
//      BENCH_CACHE_USERS (default 500); during the Redis run a writer recomputes a random user's
//      persona every 50 ms (each change invalidates that user's keys), so the hit rate includes
//      invalidations. Both gateways first read every user's views once (the cache's steady state,
//      not its cold start).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import pg from "pg";
import { createTokenService } from "../src/auth/tokens.ts";
import { loadConfig } from "../src/config.ts";
import { AUTHENTICATOR_ROLE } from "../src/database/connect.ts";
import { runMigrations } from "../src/database/migrate.ts";
import { createLogger } from "../src/logger.ts";
import { startGateway, type Gateway } from "../src/server/gateway.ts";
import { fmt, onServer, SECONDS, summarise, urlFor, type Result } from "./lib.ts";

const USERS = Number(process.env.BENCH_INSIGHTS_USERS ?? 100_000);
const STEPS = (process.env.BENCH_INSIGHTS_STEPS ?? String(USERS)).split(",").map(Number);
const REQUESTS_PER_USER = Number(process.env.BENCH_INSIGHTS_REQUESTS ?? 20);
const ON_DEMAND_USERS = 20;
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
// BENCH_INSIGHTS_WORK_MEM: the sessions' work_mem (the job's sorts and hashes spill to disk above it).
const owner = new pg.Pool({ connectionString: ownerUrl, max: 4, ...(process.env.BENCH_INSIGHTS_WORK_MEM ? { options: `-c work_mem=${process.env.BENCH_INSIGHTS_WORK_MEM}` } : {}) });
const gateways: Gateway[] = [];
try {
  await runMigrations(ownerUrl, "up");
  const plansFile = process.env.BENCH_INSIGHTS_PLANS ?? `${os.tmpdir()}/${database}-plans.txt`;
  console.log(`\n## compute_personas: ${REQUESTS_PER_USER} requests per user over 180 days, every tenth user with an upload of 10 transactions\n`);
  console.log("| users | requests | upload rows | seeded in s | nightly run s | its backend CPU s | users/s | no-op run s | its backend CPU s | on demand p50 ms (writes) | max | on demand p50 ms (no change) | max | profiles changed | recommendations proposed |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  let seeded = 0;
  for (const users of STEPS) {
    const [, seedSeconds] = await timed(() => seed(seeded, users));
    seeded = users;
    const sample = (await owner.query<{ user_id: string }>("select user_id from app_public.users order by random() limit $1", [ON_DEMAND_USERS])).rows.map((r) => r.user_id);
    const onDemandWrites = await onDemand(sample);
    const first = await nightly();
    const second = await nightly();
    const onDemandNoChange = await onDemand(sample);
    const counts = (await owner.query("select (select count(*) from app_public.requests)::int as requests, (select count(*) from app_public.upload_transactions)::int as uploaded")).rows[0];
    console.log(`| ${users} | ${counts.requests} | ${counts.uploaded} | ${fmt(seedSeconds)} | ${fmt(first.seconds, 2)} | ${fmt(first.cpu, 2)} | ${fmt(users / first.seconds, 0)} | ${fmt(second.seconds, 2)} | ${fmt(second.cpu, 2)} | ${fmt(onDemandWrites.p50, 1)} | ${fmt(onDemandWrites.max, 1)} | ${fmt(onDemandNoChange.p50, 1)} | ${fmt(onDemandNoChange.max, 1)} | ${first.profiles_changed} | ${first.recommendations_proposed} |`);
  }
  const personas = (await owner.query("select persona_name, count(*)::int as n from app_public.user_profiles group by 1 order by 1")).rows;
  console.log(`\npersonas: ${personas.map((p) => `${p.persona_name} ${p.n}`).join(", ")}`);
  const uploaders = (await owner.query("select count(*)::int as n from app_public.user_profiles where (signals_30d ->> 'uploaded_transactions')::int > 0")).rows[0].n;
  console.log(`users with uploaded spend in their 30-day signals: ${uploaders}`);
  fs.writeFileSync(plansFile, await plans());
  console.log(`plans (auto_explain, analyze without timing): ${plansFile}`);

  if (CACHE_USERS > 0) await caches();
} finally {
  for (const gateway of gateways) await gateway.close();
  // pg-pool's end() resolves before its backends have gone; dropping the database (force) then
  // terminates them, which an idle client reports as an error: expected here, not a failure.
  owner.on("error", () => {});
  await owner.end();
  await onServer(`drop database if exists ${database} with (force)`);
}

/** Users seeded+1..users, their spending and uploads; the derived tables emptied, statistics fresh. */
async function seed(seeded: number, users: number): Promise<void> {
  const client = await owner.connect();
  try {
    await client.query("begin");
    // Triggers off while seeding: the spend rollups (two upserts per settled request) and the
    // notifications are not what is measured; the job reads only these tables.
    await client.query("set local session_replication_role = replica");
    await client.query(`insert into app_public.users (email, consent_status) select 'u' || g || '@example.com', true from generate_series($1::int + 1, $2) g`, [seeded, users]);
    // Spending shaped per user (steady, growing, bursty, dormant, with rejections) over 180 days;
    // k numbers the users (from their email) so that a step adds users of the same mix.
    await client.query(
      `with u as (
         select user_id, split_part(substr(email, 2), '@', 1)::int as k from app_public.users
          where split_part(substr(email, 2), '@', 1)::int > $2
       )
       insert into app_public.requests (user_id, api_provider, model_name, status, estimated_cost, actual_cost, created_at)
       select u.user_id, (array['openai', 'anthropic', 'google'])[1 + (n % 3)], (array['m-small', 'm-large'])[1 + (n % 2)],
              case when n % 11 = 5 then 'rejected' else 'executed' end::app_public.requeststatus, 1,
              case when n % 11 = 5 then null else 0.01 * (1 + (u.k % 5) * n) end,
              now() - make_interval(days => case u.k % 4 when 0 then 1 + n * 179 / $1 when 1 then 1 + n when 2 then 1 + (n % 3) else 40 + n end)
         from u, generate_series(0, $1 - 1) n`,
      [REQUESTS_PER_USER, seeded],
    );
    // Every tenth user uploaded a bill: 5 rows name their latest executed requests (the same
    // spend: not counted again), 5 rows are spend Spendgate never saw.
    await client.query(
      `insert into app_public.data_uploads (user_id, file_name, file_size, file_type, s3_key, s3_bucket, status, processed_at, row_count, valid_row_count, error_count)
       select u.user_id, 'bill.csv', 1000, 'csv', 'uploads/' || u.user_id || '/bill.csv', 'bench', 'completed', now(), 10, 10, 0
         from app_public.users u
        where split_part(substr(u.email, 2), '@', 1)::int > $1 and split_part(substr(u.email, 2), '@', 1)::int % 10 = 0`,
      [seeded],
    );
    await client.query(
      `with fresh as (
         select d.upload_id, d.user_id from app_public.data_uploads d
          where not exists (select from app_public.upload_transactions t where t.upload_id = d.upload_id)
       ), latest as (
         select r.user_id, r.request_id, r.created_at, r.actual_cost, r.api_provider, r.model_name,
                row_number() over (partition by r.user_id order by r.created_at desc) as i
           from app_public.requests r join fresh f using (user_id)
          where r.status = 'executed'
       )
       insert into app_public.upload_transactions (upload_id, user_id, row_number, occurred_at, provider, model, cost, currency, external_id)
       select f.upload_id, f.user_id, g.i, coalesce(l.created_at, now() - make_interval(days => g.i * 3, hours => 1)),
              coalesce(l.api_provider, 'mistral'), coalesce(l.model_name, 'm-upload'), coalesce(l.actual_cost, 0.05 * g.i), 'USD', l.request_id::text
         from fresh f cross join generate_series(1, 10) g (i)
         left join latest l on l.user_id = f.user_id and l.i = g.i and g.i <= 5`,
    );
    await client.query("truncate app_public.persona_history, app_public.recommendations, app_public.user_profiles");
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
  await owner.query("analyze");
}

/**
 * The nightly run for every user: wall time and the CPU time its PostgreSQL backend used (from
 * /proc, when the server is on this machine; NaN otherwise). On a shared machine the CPU time is
 * the steadier figure: wall time includes waiting for the other processes' turn.
 */
async function nightly(): Promise<{ seconds: number; cpu: number; profiles_changed: number; recommendations_proposed: number }> {
  const client = await owner.connect();
  try {
    const pid = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    const cpu = () => {
      try {
        // Fields 14 and 15 of /proc/PID/stat (after the parenthesised name): user and system time,
        // in clock ticks (100 a second on Linux).
        const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        return (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        return NaN;
      }
    };
    const cpuBefore = cpu();
    const [{ rows }, seconds] = await timed(() => client.query("select * from app_private.compute_personas(now())"));
    return { seconds, cpu: cpu() - cpuBefore, ...rows[0] };
  } finally {
    client.release();
  }
}

/** Latency of the on-demand run (compute_personas for one user), one user after the other. */
async function onDemand(users: string[]): Promise<{ p50: number; max: number }> {
  const latencies: number[] = [];
  for (const user of users) {
    const [, seconds] = await timed(() => owner.query("select * from app_private.compute_personas(now(), $1)", [user]));
    latencies.push(seconds * 1000);
  }
  const { p50 } = summarise(latencies, 1);
  return { p50, max: Math.max(...latencies) };
}

/**
 * The plans of every statement a nightly (no-op) and an on-demand run execute, nested ones
 * included (the job's statements run inside SQL functions): auto_explain, reported to this
 * session as notices, with row counts and loops (timing off, so they cost little).
 */
async function plans(): Promise<string> {
  const client = await owner.connect();
  const notices: string[] = [];
  const listener = (notice: { message?: string }) => notices.push(notice.message ?? "");
  client.on("notice", listener);
  try {
    for (const setting of ["load 'auto_explain'", "set auto_explain.log_min_duration = 0", "set auto_explain.log_analyze = on", "set auto_explain.log_timing = off",
      "set auto_explain.log_buffers = on", "set auto_explain.log_nested_statements = on", "set auto_explain.log_level = notice"]) await client.query(setting);
    notices.push("==== nightly run: select * from app_private.compute_personas(now())");
    await client.query("select * from app_private.compute_personas(now())");
    const { rows } = await client.query<{ user_id: string }>("select user_id from app_public.upload_transactions limit 1");
    notices.push(`==== on demand for one user (with an upload): select * from app_private.compute_personas(now(), '${rows[0]!.user_id}')`);
    await client.query("select * from app_private.compute_personas(now(), $1)", [rows[0]!.user_id]);
  } finally {
    client.off("notice", listener);
    await client.query("reset all");
    client.release();
  }
  return notices.join("\n\n");
}

async function caches(): Promise<void> {
  // A sample of users, two gateways on the same database.
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
}
