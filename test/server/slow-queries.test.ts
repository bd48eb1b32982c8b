// Query monitoring (seed 003: log queries exceeding 100 ms, query performance metrics): every
// statement at least SLOW_QUERY_MS long is logged with its duration, the request id the client
// got and the GraphQL operation's name, never with parameter values; /metrics has the SQL time
// per operation, how long requests wait for a pool connection and how long a pool is saturated.
import { Writable } from "node:stream";
import test from "ava";
import pg from "pg";
import { register } from "../api/client.ts";
import { createPool } from "../../src/database/pools.ts";
import { createLogger } from "../../src/logger.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

interface LogLine {
  msg: string;
  level: number;
  [key: string]: unknown;
}

function capturedLogger(level = "info") {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger(level, stream), lines };
}

let db: TestDatabase;
let gateway: TestGateway;
const gatewayLog = capturedLogger();
test.before(async () => {
  db = await createTestDatabase();
  gateway = await startTestGateway(db, { SLOW_QUERY_MS: "0" }, { log: gatewayLog.log }); // 0: every statement counts as slow
});
test.after.always(async () => {
  await gateway?.close();
  await db?.drop();
});

const slowLines = (requestId: string | null) => gatewayLog.lines.filter((line) => line.msg === "slow query" && line.requestId === requestId);

test.serial("a statement of a GraphQL request is logged with its duration, the request id and the operation name", async (t) => {
  const user = await register(gateway.url);
  const response = await user.client.post("query ProjectsForReport { projects { nodes { name } } }");
  t.deepEqual(response.body, { data: { projects: { nodes: [] } } });
  const lines = slowLines(response.headers.get("x-request-id"));
  t.true(lines.length >= 1, JSON.stringify(gatewayLog.lines.slice(-5)));
  for (const line of lines) {
    t.like(line, { level: 30, pool: "api" });
    t.is(typeof line.durationMs, "number");
    t.regex(String(line.statement), /\S/);
    t.false("values" in line);
  }
  // Authentication runs before the body is read (a bad token ends the request there): its
  // statements have the request id only; every statement of the operation names it.
  const operation = lines.filter((line) => /"app_public"\."projects"/.test(String(line.statement)));
  t.true(operation.length >= 1, "the projects query itself is among them");
  t.true(operation.every((line) => line.operationName === "ProjectsForReport"), JSON.stringify(operation));

  // operationName in the body names an operation of a document with several.
  const named = await fetch(`${gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...user.client.headers },
    body: JSON.stringify({ query: "query A { projects { totalCount } } query B { projects { totalCount } }", operationName: "B" }),
  });
  t.is(named.status, 200);
  const chosen = slowLines(named.headers.get("x-request-id")).filter((line) => /"app_public"\."projects"/.test(String(line.statement)));
  t.true(chosen.length >= 1 && chosen.every((line) => line.operationName === "B"));
});

test.serial("parameter values never reach the log: a login's password is not in any line", async (t) => {
  const password = "a password that must never be logged";
  const user = await register(gateway.url, undefined, password);
  const response = await fetch(`${gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "mutation SignIn($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { userId } }", variables: { e: user.email, p: password } }),
  });
  t.is(response.status, 200);
  const lines = slowLines(response.headers.get("x-request-id"));
  t.true(lines.some((line) => line.operationName === "SignIn"));
  t.false(gatewayLog.lines.some((line) => JSON.stringify(line).includes(password)));
});

test.serial("/metrics: SQL time per operation and the wait for pool connections", async (t) => {
  const user = await register(gateway.url);
  for (let i = 0; i < 3; i++) await user.client.post("query MetricsProbe { projects { totalCount } }");
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  t.regex(text, /^spendgate_graphql_sql_duration_seconds_count\{operation="MetricsProbe"\} 3$/m);
  t.regex(text, /^spendgate_graphql_sql_duration_seconds_sum\{operation="MetricsProbe"\} (?!0$)[\d.e-]+$/m);
  t.regex(text, /^spendgate_db_pool_wait_duration_seconds_count\{pool="api"\} [1-9]\d*$/m);
  t.regex(text, /^spendgate_db_pool_saturated_seconds_total\{pool="api"\} [\d.e-]+$/m);
});

test("only statements at least SLOW_QUERY_MS long are logged", async (t) => {
  const { log, lines } = capturedLogger();
  const pool = createPool(db.ownerUrl, "probe", { min: 0, max: 1, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, maxLifetimeS: 0 }, { slowQueryMs: 100 }, log);
  t.teardown(() => pool.end());
  const timings: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await pool.query("select 1");
    timings.push(performance.now() - started);
  }
  await pool.query("select pg_sleep(0.15), $1::text", ["secret value"]);
  const slow = lines.filter((line) => line.msg === "slow query");
  // A loaded machine may make a `select 1` slow too (then it is logged); fast ones are not.
  t.true(slow.every((line) => (line.durationMs as number) >= 100));
  const fast = timings.filter((ms) => ms < 90).length;
  t.true(slow.filter((line) => line.statement === "select 1").length <= timings.length - fast);
  const sleep = slow.find((line) => String(line.statement).startsWith("select pg_sleep"));
  t.like(sleep, { pool: "probe", statement: "select pg_sleep(0.15), $1::text" });
  t.true((sleep!.durationMs as number) >= 150);
  t.false(JSON.stringify(sleep).includes("secret value"));
});

test("a pool whose connections are all checked out counts as saturated for as long as they are", async (t) => {
  const pool = new pg.Pool({ connectionString: db.ownerUrl, max: 1 });
  t.teardown(() => pool.end());
  const metrics = createMetrics({ probe: pool });
  const saturated = async () => {
    const text = await metrics.registry.getSingleMetricAsString("spendgate_db_pool_saturated_seconds_total");
    return Number(/pool="probe"\} (\S+)/.exec(text)![1]);
  };
  t.is(await saturated(), 0);
  const held = await pool.connect();
  const waiting = pool.connect(); // waits for the held one
  const heldFrom = process.hrtime.bigint();
  await held.query("select pg_sleep(0.2)");
  held.release();
  (await waiting).release();
  const heldSeconds = Number(process.hrtime.bigint() - heldFrom) / 1e9;
  await new Promise((resolve) => setImmediate(resolve)); // the release is counted on the next turn
  t.true((await saturated()) >= heldSeconds * 0.9, `${await saturated()} < ${heldSeconds}`);
  const waits = await metrics.registry.getSingleMetricAsString("spendgate_db_pool_wait_duration_seconds");
  t.regex(waits, /spendgate_db_pool_wait_duration_seconds_count\{pool="probe"\} 2/);
});
