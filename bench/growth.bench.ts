// `npm run bench -- growth`: how lookups and aggregates grow with the requests table (issue 15
// part 6). The same database grows 20,000 -> 200,000 -> 2,000,000 requests (10, 100, 1,000 users
// of 2,000 requests each, bench/spendData.ts; the measured user always has 2,000), and at each
// size every scenario is timed through the whole gateway, back to back, and the plans of the
// equivalent SQL (run as the caller's role, under row-level security) are shown: a user-scoped
// plan that scans requests sequentially fails the bench.
// BENCH_GROWTH_USERS (default 10,100,1000) the sizes in users; BENCH_GROWTH_RUNS (default 100) per
// scenario; the operator's raw aggregate runs 3 times.
import os from "node:os";
import pg from "pg";
import { AUTHENTICATOR_ROLE } from "../src/database/connect.ts";
import { fmt, urlFor } from "./lib.ts";
import { createSpendDatabase, isoDay, measure, QUERIES, startBenchGateway, type BenchGateway, type Latency } from "./spendData.ts";

const RUNS = Number(process.env.BENCH_GROWTH_RUNS ?? 100);
const STAGES = (process.env.BENCH_GROWTH_USERS ?? "10,100,1000").split(",").map(Number);

/** SQL equivalent to each scenario's GraphQL, for EXPLAIN; $1 is the user id or the first day. */
const PLANS: Record<keyof typeof QUERIES, { sql: string; param: "user" | "day" }> = {
  lookup: { sql: "select user_id, tier, total_spending, available_balance from app_public.users where user_id = $1", param: "user" },
  last20: {
    sql: `select r.request_id, r.status, r.estimated_cost, p.name from app_public.requests r
            left join app_public.projects p on p.project_id = r.project_id
           where $1::uuid is not null order by r.created_at desc, r.request_id desc limit 20`,
    param: "user",
  },
  userRaw: { sql: "select api_provider, date_trunc('day', created_at), sum(actual_cost) from app_public.requests where $1::uuid is not null group by 1, 2", param: "user" },
  userRollup: { sql: "select api_provider, day, sum(actual_cost) from app_public.daily_spend where day >= $1 group by 1, 2", param: "day" },
  operatorRaw: { sql: "select api_provider, date_trunc('day', created_at), sum(actual_cost) from app_public.requests where $1::uuid is not null group by 1, 2", param: "user" },
  operatorRollup: { sql: "select api_provider, day, sum(actual_cost) from app_public.platform_daily_spend where day >= $1 group by 1, 2", param: "day" },
};

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

/** "Index Scan idx_x > Hash Join > Seq Scan projects" -style summary of the scans of a plan. */
function scans(node: PlanNode): string[] {
  const target = node["Index Name"] ?? node["Relation Name"];
  const here = /Scan/.test(node["Node Type"]) && target ? [`${node["Node Type"]} ${target}`] : [];
  return [...here, ...(node.Plans ?? []).flatMap(scans)];
}

async function explain(authUrl: string, role: string, userId: string, name: keyof typeof QUERIES): Promise<string[]> {
  const client = new pg.Client({ connectionString: authUrl });
  await client.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', $1, true), set_config('jwt.claims.user_id', $2, true)", [role, userId]);
    const plan = PLANS[name];
    const { rows: [row] } = await client.query(`explain (format json) ${plan.sql}`, [plan.param === "user" ? userId : isoDay(plan === PLANS.userRollup ? 29 : 179)]);
    await client.query("rollback");
    return scans((row["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan);
  } finally {
    await client.end();
  }
}

const data = await createSpendDatabase("growth");
let gateway: BenchGateway | undefined;
try {
  // Each size's row is printed as soon as it is measured: the 2,000,000 step takes long.
  console.log("\n## Growth: latency through the gateway as requests grow (p50 / p99 ms, requests sent back to back)\n");
  console.log("| requests | user lookup | user's last 20 requests | user's spend by provider and day, raw (2,000 rows) | same, rollup, last 30 days | operator's spend by provider and day, raw | same, platform rollup, 180 days |");
  console.log("|---|---|---|---|---|---|---|");
  const plans = new Map<string, string[]>();
  for (const users of STAGES) {
    await data.addUsers(users - data.users);
    gateway ??= await startBenchGateway(data);
    const g = gateway;
    const { rows: [{ n }] } = await data.owner.query("select count(*)::int as n from app_public.requests");
    const timed: Record<string, Latency> = {};
    for (const [name, scenario] of Object.entries(QUERIES) as [keyof typeof QUERIES, (typeof QUERIES)[keyof typeof QUERIES]][]) {
      const variables = name === "lookup" ? { id: g.userId } : name === "userRollup" ? { first: isoDay(29) } : name === "operatorRollup" ? { first: isoDay(179) } : {};
      timed[name] = await measure(g.url, scenario.as === "user" ? g.user : g.operator, scenario.query, variables, name === "operatorRaw" ? 3 : RUNS);
      const role = scenario.as === "user" ? "spendgate_user" : "spendgate_operator";
      plans.set(`${n} ${name}`, await explain(urlFor(data.database, AUTHENTICATOR_ROLE), role, g.userId, name));
    }
    const cell = (l: Latency) => `${fmt(l.p50, 1)} / ${fmt(l.p99, 1)}`;
    console.log(`| ${n.toLocaleString("en")} | ${cell(timed.lookup!)} | ${cell(timed.last20!)} | ${cell(timed.userRaw!)} | ${cell(timed.userRollup!)} | ${cell(timed.operatorRaw!)} | ${cell(timed.operatorRollup!)} |`);
    for (const name of ["lookup", "last20", "userRaw"] as const) {
      const scanned = plans.get(`${n} ${name}`)!;
      if (scanned.some((s) => s.startsWith("Seq Scan requests"))) throw new Error(`${name} scans requests sequentially at ${n} rows: ${scanned.join(", ")}`);
    }
  }
  console.log("\nPlans of the equivalent SQL under row-level security (scans, outermost first):\n");
  for (const [key, scanned] of plans) if (key.startsWith(`${(STAGES.at(-1)! * 2000)} `)) console.log(`- ${key.split(" ")[1]}: ${scanned.join("; ")}`);
  console.log(`\n${os.cpus().length} cores (${os.cpus()[0]?.model}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}, ${new Date().toISOString()}, PostgreSQL ${(await data.owner.query("show server_version")).rows[0].server_version}, Node ${process.versions.node}`);
} finally {
  await gateway?.close();
  await data.drop();
}
