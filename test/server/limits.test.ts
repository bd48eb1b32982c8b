// Limits enforced before an operation runs: depth, aliases, fields, body size, batching, and rate
// limits on login/register attempts and API keys (429 with Retry-After).
import test from "ava";
import { getIntrospectionQuery } from "postgraphile/graphql";
import { useTestGateway } from "../helpers/gateway.ts";
import { createUser } from "../helpers/users.ts";

const ctx = useTestGateway({
    GRAPHQL_MAX_DEPTH: "4",
    GRAPHQL_MAX_ALIASES: "3",
    GRAPHQL_MAX_FIELDS: "20",
    GRAPHQL_BODY_LIMIT: "2kb",
    RATE_LIMIT_LOGIN_PER_IP_PER_HOUR: "5",
    RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_HOUR: "2",
    RATE_LIMIT_REQUESTS_PER_KEY_PER_MINUTE: "3",
  });

const messages = (body: any): string[] => (body.errors ?? []).map((error: any) => error.message);

test("a query deeper than GRAPHQL_MAX_DEPTH is rejected before execution", async (t) => {
  const ok = await ctx.gateway.graphql("{ projects { nodes { user { email } } } }");
  t.false(messages(ok.body).some((m) => /levels deep/.test(m)));
  const deep = await ctx.gateway.graphql("query Deep { projects { nodes { user { projects { nodes { name } } } } } }");
  t.deepEqual(messages(deep.body), ["operation Deep is 6 levels deep; the limit is 4"]);
  t.is(deep.body.data, undefined);
});

test("the standard introspection query (as Ruru sends it) is not subject to the depth limit", async (t) => {
  const response = await ctx.gateway.graphql(getIntrospectionQuery());
  t.is(response.body.errors, undefined);
  t.truthy(response.body.data.__schema.queryType);
});

test("depth through fragments is counted, and cyclic fragments do not hang the check", async (t) => {
  const viaFragment = await ctx.gateway.graphql("query { projects { nodes { ...P } } } fragment P on Project { user { projects { nodes { name } } } }");
  t.true(messages(viaFragment.body).includes("operation is 6 levels deep; the limit is 4"));
  const cyclic = await ctx.gateway.graphql("query { version ...A } fragment A on Query { ...B } fragment B on Query { ...A }");
  t.is(cyclic.body.data, undefined);
  t.true(messages(cyclic.body).some((m) => /Cannot spread fragment "A" within itself/.test(m)));
});

test("too many aliases or fields are rejected", async (t) => {
  const aliases = await ctx.gateway.graphql("{ a: version b: version c: version d: version }");
  t.deepEqual(messages(aliases.body), ["operation uses 4 aliases; the limit is 3"]);
  const fields = await ctx.gateway.graphql(`{ ${Array.from({ length: 21 }, () => "version").join(" ")} }`);
  t.deepEqual(messages(fields.body), ["operation selects 21 fields; the limit is 20"]);
});

test("a body over GRAPHQL_BODY_LIMIT is refused with 413 and a JSON error", async (t) => {
  const response = await ctx.gateway.graphql(`{ version } # ${"x".repeat(3000)}`);
  t.is(response.status, 413);
  t.regex(messages(response.body)[0]!, /too large/i);
  t.is(response.body.errors[0].extensions.code, "PAYLOAD_TOO_LARGE");
});

test("malformed JSON is a 400 with a JSON error", async (t) => {
  const response = await fetch(`${ctx.gateway.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
  t.is(response.status, 400);
  const body = (await response.json()) as any;
  t.truthy(body.errors[0].message);
  t.is(body.errors[0].extensions.code, "BAD_REQUEST");
});

test("batched (array) requests are refused with 400", async (t) => {
  const response = await fetch(`${ctx.gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([{ query: "{ version }" }, { query: "{ version }" }]),
  });
  t.is(response.status, 400);
  t.deepEqual(await response.json(), { errors: [{ message: "batched requests are not supported: send one operation per request", extensions: { code: "BAD_REQUEST" } }] });
});

test.serial("login attempts are limited per account, then per client IP, with 429 and Retry-After", async (t) => {
  const attempt = (email: string) =>
    ctx.gateway.graphql("mutation($i: LoginInput!) { login(input: $i) { accessToken } }", { i: { email, password: "wrong password" } });
  t.is((await attempt("target@example.com")).status, 200);
  t.is((await attempt("TARGET@example.com")).status, 200);
  const limited = await attempt("target@example.com");
  t.is(limited.status, 429);
  t.regex(limited.headers.get("retry-after") ?? "", /^\d+$/);
  t.deepEqual(messages(limited.body), ["too many login attempts for this account"]);
  // Two more attempts on other accounts use up the per-IP budget of 5 (aliases count one each).
  const aliased = await ctx.gateway.graphql('mutation { a: login(input: {email: "x@example.com", password: "p"}) { accessToken } b: register(input: {email: "y@example.com", password: "p"}) { accessToken } }');
  t.is(aliased.status, 200);
  const ipLimited = await attempt("someone-else@example.com");
  t.is(ipLimited.status, 429);
  t.deepEqual(messages(ipLimited.body), ["too many login attempts from this address"]);
});

test.serial("requests per API key are limited, with 429 and Retry-After", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, "busy@example.com");
  const { apiKey } = (await ctx.gateway.graphql('mutation { createApiKey(input: {name: "busy"}) { apiKey } }', {}, await ctx.gateway.as(userId))).body.data.createApiKey;
  for (let i = 0; i < 3; i++) t.is((await ctx.gateway.graphql("{ version }", {}, { "x-api-key": apiKey })).status, 200);
  const limited = await ctx.gateway.graphql("{ version }", {}, { "x-api-key": apiKey });
  t.is(limited.status, 429);
  t.truthy(limited.headers.get("retry-after"));
  t.deepEqual(messages(limited.body), ["too many requests with this API key"]);
  t.is(limited.body.errors[0].extensions.code, "RATE_LIMITED");
});
