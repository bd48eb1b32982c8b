// `npm run bench -- rollups`: platform-wide spend at interactive speed (issue 15 part 7). With
// 2,000,000 requests over 180 days (1,000 users, bench/spendData.ts), through the whole gateway:
//   - an operator's spend by provider and day over the raw requests vs over platform_daily_spend;
//   - one user's spend by provider and day over their raw requests vs over daily_spend (30 days);
//   - the answers must be equal (raw vs rollup) or the bench fails;
//   - what the trigger adds to a settlement: complete_request on 2,000 approved requests with the
//     rollup trigger on and off;
//   - app_public.spend_rollup_discrepancies() over the whole table (it must find nothing);
//   - a 100,000,000-request projection: the platform rollup holds at most one row per day,
//     provider, model and shard whatever the number of requests, so its counters are scaled by
//     50 (what 100M requests of the same mix would hold) and the query measured again.
// BENCH_ROLLUP_USERS (default 1000) x 2,000 requests; BENCH_ROLLUP_RUNS (default 200) per rollup query.
import os from "node:os";
import { fmt } from "./lib.ts";
import { ask, byProviderAndDay, createSpendDatabase, isoDay, measure, QUERIES, REQUESTS_PER_USER, startBenchGateway, type Latency } from "./spendData.ts";

const USERS = Number(process.env.BENCH_ROLLUP_USERS ?? 1000);
const RUNS = Number(process.env.BENCH_ROLLUP_RUNS ?? 200);
const RAW_RUNS = 5;
const SETTLEMENTS = 2000;

const data = await createSpendDatabase("rollups");
let gateway: Awaited<ReturnType<typeof startBenchGateway>> | undefined;
try {
  const load = await data.addUsers(USERS);
  const { rows: [sizes] } = await data.owner.query(
    `select (select count(*) from app_public.requests)::int as requests, (select count(*) from app_public.daily_spend)::int as daily,
            (select count(*) from app_public.platform_daily_spend)::int as platform,
            pg_size_pretty(pg_total_relation_size('app_public.requests')) as requests_size,
            pg_size_pretty(pg_total_relation_size('app_public.daily_spend')) as daily_size,
            pg_size_pretty(pg_total_relation_size('app_public.platform_daily_spend')) as platform_size`,
  );
  gateway = await startBenchGateway(data);
  const g = gateway;
  const headers = (as: "user" | "operator") => (as === "user" ? g.user : g.operator);

  // Same answers from the raw table and from the rollups, or the timings mean nothing.
  const operatorRaw = byProviderAndDay((await ask(g.url, g.operator, QUERIES.operatorRaw.query)).requests.groupedAggregates);
  const operatorRollup = byProviderAndDay((await ask(g.url, g.operator, QUERIES.operatorRollup.query, { first: null })).platformDailySpendBetween.groupedAggregates);
  const userRaw = byProviderAndDay((await ask(g.url, g.user, QUERIES.userRaw.query)).requests.groupedAggregates);
  const userRollup = byProviderAndDay((await ask(g.url, g.user, QUERIES.userRollup.query, { first: null })).dailySpendBetween.groupedAggregates);
  for (const [name, raw, rollup] of [["operator", operatorRaw, operatorRollup], ["user", userRaw, userRollup]] as const) {
    const differ = [...new Set([...raw.keys(), ...rollup.keys()])].filter((k) => raw.get(k) !== rollup.get(k));
    if (differ.length || raw.size === 0) throw new Error(`${name}: raw and rollup answers differ on ${differ.length} of ${raw.size} groups, e.g. ${differ[0]}: ${raw.get(differ[0]!)} vs ${rollup.get(differ[0]!)}`);
  }

  const timings: [string, string, Latency][] = [
    ["operator, by provider and day, all 180 days", "requests (raw)", await measure(g.url, headers("operator"), QUERIES.operatorRaw.query, {}, RAW_RUNS)],
    ["operator, by provider and day, all 180 days", "platformDailySpendBetween", await measure(g.url, headers("operator"), QUERIES.operatorRollup.query, { first: isoDay(179) }, RUNS)],
    ["one user (2,000 requests), by provider and day, 180 days", "requests (raw)", await measure(g.url, headers("user"), QUERIES.userRaw.query, {}, RUNS)],
    ["one user, by provider and day, last 30 days", "dailySpendBetween", await measure(g.url, headers("user"), QUERIES.userRollup.query, { first: isoDay(29) }, RUNS)],
  ];

  // Database time alone (EXPLAIN ANALYZE as an operator, under row-level security): what the
  // gateway's latency adds to is visible when the machine is busy.
  const executionMs = async (sql: string, runs: number) => {
    const client = await data.owner.connect();
    try {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        await client.query("begin");
        await client.query("set local role spendgate_operator");
        const { rows: [row] } = await client.query(`explain (analyze, format json) ${sql}`);
        await client.query("rollback");
        times.push((row["QUERY PLAN"] as { "Execution Time": number }[])[0]!["Execution Time"]);
      }
      return times.sort((x, y) => x - y)[Math.floor(runs / 2)]!;
    } finally {
      client.release();
    }
  };
  const rawDbMs = await executionMs("select api_provider, date_trunc('day', created_at), sum(actual_cost) from app_public.requests group by 1, 2", 3);
  const rollupDbMs = await executionMs(`select api_provider, day, sum(actual_cost) from app_public.platform_daily_spend where day >= '${isoDay(179)}' group by 1, 2`, 21);

  // The trigger's cost on the settlement path: the same function on the same kind of rows.
  const settle = async () => {
    const started = performance.now();
    await data.owner.query(
      `select count(app_public.complete_request(request_id, 0.01))
         from (select request_id from app_public.requests where status = 'approved' limit $1) picked`,
      [SETTLEMENTS],
    );
    return (performance.now() - started) / SETTLEMENTS;
  };
  const withTrigger = await settle();
  const checkStarted = performance.now();
  const { rows: found } = await data.owner.query("select * from app_public.spend_rollup_discrepancies()");
  const checkSeconds = (performance.now() - checkStarted) / 1000;
  if (found.length) throw new Error(`the rollups differ from requests after the settlements: ${JSON.stringify(found.slice(0, 3))}`);
  await data.owner.query("alter table app_public.requests disable trigger _510_spend_rollups_update");
  const withoutTrigger = await settle();
  await data.owner.query("alter table app_public.requests enable trigger _510_spend_rollups_update");

  // 100,000,000 requests of the same mix: the same platform rows with 50 times the counters.
  await data.owner.query("update app_public.platform_daily_spend set settled_requests = settled_requests * 50, actual_cost = actual_cost * 50, settled_cost = settled_cost * 50");
  await data.owner.query("vacuum analyze app_public.platform_daily_spend");
  const projectedDbMs = await executionMs(`select api_provider, day, sum(actual_cost) from app_public.platform_daily_spend where day >= '${isoDay(179)}' group by 1, 2`, 21);
  const projected = await measure(g.url, headers("operator"), QUERIES.operatorRollup.query, { first: isoDay(179) }, RUNS);
  const raw = timings[0]![2];

  console.log(`\n## Spend rollups: ${sizes.requests.toLocaleString("en")} requests (${USERS} users x ${REQUESTS_PER_USER}, 180 days), through the gateway\n`);
  console.log(`Load ${fmt(load.seconds, 0)} s (of which rebuilding the rollups ${fmt(load.rebuildSeconds, 1)} s). requests ${sizes.requests_size}; daily_spend ${sizes.daily.toLocaleString("en")} rows, ${sizes.daily_size}; platform_daily_spend ${sizes.platform.toLocaleString("en")} rows, ${sizes.platform_size}.`);
  console.log("Answers raw vs rollup: identical for the operator and for the user.\n");
  console.log("| question | read from | runs | p50 ms | p99 ms |\n|---|---|---|---|---|");
  for (const [question, source, l] of timings) console.log(`| ${question} | ${source} | ${l.runs} | ${fmt(l.p50, 2)} | ${fmt(l.p99, 2)} |`);
  console.log(`| 100M-request projection: operator, by provider and day, 180 days | platformDailySpendBetween (${sizes.platform.toLocaleString("en")} rows, counters x50) | ${projected.runs} | ${fmt(projected.p50, 2)} | ${fmt(projected.p99, 2)} |`);
  console.log(`| 100M-request projection: operator, raw (linear in rows, x50 of the measured p50) | requests (raw) | - | ~${fmt((raw.p50 * 50) / 1000, 0)} s | |`);
  console.log(`\nDatabase execution time alone (EXPLAIN ANALYZE as spendgate_operator, median): raw ${fmt(rawDbMs, 1)} ms, platform rollup ${fmt(rollupDbMs, 2)} ms (${fmt(projectedDbMs, 2)} ms with the 100M projection's counters).`);
  console.log(`Settlement (complete_request, ${SETTLEMENTS} in a row): ${fmt(withTrigger * 1000, 0)} us each with the rollup trigger, ${fmt(withoutTrigger * 1000, 0)} us without (+${fmt(((withTrigger - withoutTrigger) / withoutTrigger) * 100, 0)}%).`);
  console.log(`spend_rollup_discrepancies() over the whole table after them: none, in ${fmt(checkSeconds, 1)} s.`);
  console.log(`\n${os.cpus().length} cores (${os.cpus()[0]?.model}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}, ${new Date().toISOString()}, PostgreSQL ${(await data.owner.query("show server_version")).rows[0].server_version}, Node ${process.versions.node}`);
} finally {
  await gateway?.close();
  await data.drop();
}
