// GraphQL over HTTP as clients with default settings speak it: queries by GET (mutations refused
// with 405), a missing or `*/*` Accept answered with application/json, GET answers private and
// never stored, and the graphql-http package's own conformance audits without an error or a
// warning, against the gateway in development.
import test from "ava";
import { serverAudits } from "graphql-http";
import { useTestGateway } from "../helpers/gateway.ts";
import { anonymous, createApiKey, register, type Account } from "./client.ts";

let alice: Account;
const ctx = useTestGateway({ NODE_ENV: "development", RATE_LIMIT_REQUESTS_PER_KEY_PER_MINUTE: "3" }, async ({ gateway }) => {
  alice = await register(gateway.url);
});

test("graphql-http's server audits pass without an error or a warning", async (t) => {
  const problems: string[] = [];
  let ran = 0;
  for (const audit of serverAudits({ url: `${ctx.gateway.url}/graphql` })) {
    const result = await audit.fn();
    ran++;
    if (result.status !== "ok") problems.push(`${result.status} ${audit.name}: ${result.reason}`);
  }
  t.true(ran > 30, `audits run: ${ran}`);
  t.deepEqual(problems, []);
});

test("queries work over GET, with a token or an API key, variables included", async (t) => {
  const byToken = await alice.client.get("query($n: Int) { currentUser { email } projects(first: $n) { totalCount } }", { n: 1 });
  t.is(byToken.status, 200);
  t.deepEqual(byToken.body, { data: { currentUser: { email: alice.email }, projects: { totalCount: 0 } } });
  const key = await createApiKey(alice);
  const byKey = await key.client.get("{ currentUser { userId } }");
  t.deepEqual(byKey.body, { data: { currentUser: { userId: alice.userId } } });
});

test("a mutation over GET is a 405 with a code, and changes nothing", async (t) => {
  const response = await alice.client.get('mutation { createProject(input: {project: {name: "by GET"}}) { project { projectId } } }');
  t.is(response.status, 405);
  t.is(response.body.errors?.[0]?.extensions?.code, "METHOD_NOT_ALLOWED");
  const { projects } = await alice.client.data("{ projects { nodes { name } } }");
  t.false(projects.nodes.some((p: { name: string }) => p.name === "by GET"));
});

test("GET answers are private and never stored: Cache-Control and Vary", async (t) => {
  const response = await alice.client.get("{ version }");
  t.is(response.headers.get("cache-control"), "private, no-store");
  for (const header of ["Accept", "Authorization", "X-API-Key"]) t.true(response.headers.get("vary")?.includes(header), header);
});

for (const accept of [undefined, "*/*"]) {
  test(`Accept ${accept ?? "missing"}: answered with application/json, validation errors with status 200 and a code`, async (t) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (accept) headers.accept = accept;
    const ok = await fetch(`${ctx.gateway.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query: "{ version }" }) });
    t.is(ok.status, 200);
    t.regex(ok.headers.get("content-type") ?? "", /^application\/json/);
    const invalid = await fetch(`${ctx.gateway.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query: "{ nope }" }) });
    t.is(invalid.status, 200);
    t.regex(invalid.headers.get("content-type") ?? "", /^application\/json/);
    const body = (await invalid.json()) as { errors: { extensions: { code: string } }[] };
    t.is(body.errors[0].extensions.code, "GRAPHQL_VALIDATION_FAILED");
    const byGet = await fetch(`${ctx.gateway.url}/graphql?query=${encodeURIComponent("{ version }")}`, { headers: accept ? { accept } : {} });
    t.is(byGet.status, 200);
    t.regex(byGet.headers.get("content-type") ?? "", /^application\/json/);
  });
}

test("a client asking for application/graphql-response+json gets it (and status 400 for a validation error)", async (t) => {
  const response = await anonymous(ctx.gateway.url).post("{ nope }", undefined, { accept: "application/graphql-response+json" });
  t.is(response.status, 400);
  t.regex(response.headers.get("content-type") ?? "", /^application\/graphql-response\+json/);
  t.is(response.body.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
});

test.serial("the per-key rate limit counts GET requests too", async (t) => {
  const key = await createApiKey(alice, "busy over GET");
  for (let i = 0; i < 3; i++) t.is((await key.client.get("{ version }")).status, 200);
  const limited = await key.client.get("{ version }");
  t.is(limited.status, 429);
  t.is(limited.body.errors?.[0]?.extensions?.code, "RATE_LIMITED");
});
