// GET /metrics: pool, request and latency metrics in the Prometheus text format, named by
// Prometheus' rules (the checks of `promtool check metrics`), and kept off the public port in
// production: there it is served only by the admin server (ADMIN_PORT), as PostgREST does.
import test from "ava";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from "../helpers/gateway.ts";

/** promtool's metric lint (prometheus/client_golang testutil/promlint), over the text format. */
function lintMetrics(text: string): string[] {
  const problems: string[] = [];
  const families = new Map<string, { type?: string; help?: string; labels: Set<string> }>();
  const family = (name: string) => families.get(name) ?? families.set(name, { labels: new Set() }).get(name)!;
  for (const line of text.split("\n")) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") family(meta[2]!).type = meta[3];
      else family(meta[2]!).help = meta[3];
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const name = [...families.keys()].find((f) => sample[1] === f || (sample[1]!.startsWith(`${f}_`) && /^_(bucket|count|sum)$/.test(sample[1]!.slice(f.length)))) ?? sample[1]!;
    for (const [, label] of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) family(name).labels.add(label!);
  }
  const units = ["bytes", "seconds", "meters", "grams", "joules", "volts", "amperes", "celsius"];
  const nonBase = ["minutes", "hours", "days", "weeks", "bits", "milliseconds", "microseconds", "nanoseconds", "kilobytes", "megabytes"];
  const abbreviations = ["s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d"];
  for (const [name, { type, help, labels }] of families) {
    const has = (part: string) => name.includes(`_${part}_`) || name.endsWith(`_${part}`);
    if (!help) problems.push(`${name}: no help text`);
    if (type === "counter" && !name.endsWith("_total")) problems.push(`${name}: counter metrics should have "_total" suffix`);
    if (type !== "counter" && type !== "untyped" && name.endsWith("_total")) problems.push(`${name}: non-counter metrics should not have "_total" suffix`);
    if (type !== "histogram" && name.endsWith("_bucket")) problems.push(`${name}: non-histogram metrics should not have "_bucket" suffix`);
    if (type !== "histogram" && type !== "summary" && /_(count|sum)$/.test(name)) problems.push(`${name}: non-histogram and non-summary metrics should not have "_count" or "_sum" suffix`);
    if (type !== "histogram" && labels.has("le")) problems.push(`${name}: non-histogram metrics should not have "le" label`);
    if (type !== "summary" && labels.has("quantile")) problems.push(`${name}: non-summary metrics should not have "quantile" label`);
    if (type !== "gauge" && type !== "untyped" && name.endsWith("_timestamp_seconds")) problems.push(`${name}: non-gauge metrics should not have "_timestamp_seconds" suffix`);
    for (const t of ["counter", "gauge", "histogram", "summary"]) if (has(t)) problems.push(`${name}: metric name should not include type '${t}'`);
    if (name.includes(":")) problems.push(`${name}: metric names should not contain ':'`);
    if (/[a-z][A-Z]/.test(name) || [...labels].some((l) => /[a-z][A-Z]/.test(l))) problems.push(`${name}: names should be written in 'snake_case' not 'camelCase'`);
    if (abbreviations.some(has)) problems.push(`${name}: metric names should not contain abbreviated units`);
    const unit = name.split("_").find((part) => nonBase.includes(part));
    if (unit) problems.push(`${name}: use a base unit (${units.join(", ")}) instead of "${unit}"`);
  }
  return problems;
}

test("the lint catches what promtool flags (its own control)", (t) => {
  const text = [
    "# HELP x_connections_total open connections",
    "# TYPE x_connections_total gauge",
    "x_connections_total 3",
    "# HELP x_requests requests",
    "# TYPE x_requests counter",
    "x_requests 1",
    "# TYPE x_latency_ms gauge",
    "x_latency_ms 1",
  ].join("\n");
  t.deepEqual(lintMetrics(text), [
    'x_connections_total: non-counter metrics should not have "_total" suffix',
    'x_requests: counter metrics should have "_total" suffix',
    "x_latency_ms: no help text",
    "x_latency_ms: metric names should not contain abbreviated units",
  ]);
});

let db: TestDatabase;
let development: TestGateway;
let production: TestGateway;
let productionWithAdmin: TestGateway;
test.before(async () => {
  db = await createTestDatabase();
  [development, production, productionWithAdmin] = await Promise.all([
    startTestGateway(db),
    startTestGateway(db, { NODE_ENV: "production", JWT_SECRET: TEST_JWT_SECRET }),
    startTestGateway(db, { NODE_ENV: "production", JWT_SECRET: TEST_JWT_SECRET, ADMIN_PORT: "0" }),
  ]);
});
test.after.always(async () => {
  await Promise.all([development, production, productionWithAdmin].map((gateway) => gateway?.close()));
  await db?.drop();
});

test("GET /metrics exposes pool connections, request counts and GraphQL latency, and passes promtool's naming rules", async (t) => {
  await development.graphql("{ version }");
  const response = await fetch(`${development.url}/metrics`);
  t.is(response.status, 200, "outside production without ADMIN_PORT, on the main port");
  t.regex(response.headers.get("content-type") ?? "", /^text\/plain/);
  const text = await response.text();
  for (const pool of ["api", "owner"]) {
    t.regex(text, new RegExp(`spendgate_db_pool_connections\\{pool="${pool}"\\} \\d+`));
    t.regex(text, new RegExp(`spendgate_db_pool_connections_idle\\{pool="${pool}"\\} \\d+`));
    t.regex(text, new RegExp(`spendgate_db_pool_requests_waiting\\{pool="${pool}"\\} \\d+`));
  }
  t.regex(text, /spendgate_http_requests_total\{method="POST",route="\/graphql",status="200"\} [1-9]/);
  t.regex(text, /spendgate_graphql_operation_duration_seconds_count\{status="200"\} [1-9]/);
  t.regex(text, /spendgate_graphql_operation_duration_seconds_bucket\{le="0.1",status="200"\} \d+/);
  t.regex(text, /spendgate_process_cpu_seconds_total \d/);
  t.deepEqual(lintMetrics(text), []);
});

test("production: /metrics is not on the public port; without ADMIN_PORT it is not served at all", async (t) => {
  t.is(production.adminUrl, undefined);
  t.is((await fetch(`${production.url}/metrics`)).status, 404);
  t.is((await fetch(`${productionWithAdmin.url}/metrics`)).status, 404);
  t.is((await fetch(`${production.url}/healthz`)).status, 200, "health checks stay on the main port");
  t.is((await fetch(`${productionWithAdmin.url}/readyz`)).status, 200);
});

test("production with ADMIN_PORT: the admin server serves /metrics, /healthz and /readyz, and nothing else", async (t) => {
  const admin = productionWithAdmin.adminUrl!;
  t.regex(admin, /^http:\/\/127\.0\.0\.1:\d+$/, "ADMIN_HOST defaults to the loopback interface");
  await productionWithAdmin.graphql("{ __typename }");
  const metrics = await fetch(`${admin}/metrics`);
  t.is(metrics.status, 200);
  const text = await metrics.text();
  t.regex(text, /spendgate_http_requests_total\{method="POST",route="\/graphql",status="200"\} [1-9]/, "it counts the main port's requests");
  t.deepEqual(lintMetrics(text), []);
  t.deepEqual(await (await fetch(`${admin}/healthz`)).json(), { status: "ok" });
  t.deepEqual(await (await fetch(`${admin}/readyz`)).json(), { status: "ready", schema: "current" });
  t.is((await fetch(`${admin}/graphql`, { method: "POST" })).status, 404, "no API on the admin server");
});
