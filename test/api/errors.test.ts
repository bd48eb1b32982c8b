// Errors a client can act on: every error, whatever layer raises it, carries `extensions.code`
// (documented in the README), and a permission error never reaches a client raw.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { anonymous, register, withApiKey, withToken, type Account } from "./client.ts";

let alice: Account;
const ctx = useTestGateway({}, async ({ gateway }) => {
  alice = await register(gateway.url);
});

const codes = (body: { errors?: { extensions?: { code?: string } }[] }) => (body.errors ?? []).map((error) => error.extensions?.code);

async function raw(init: RequestInit & { path?: string }): Promise<{ status: number; body: any }> {
  const response = await fetch(`${ctx.gateway.url}${init.path ?? "/graphql"}`, init);
  return { status: response.status, body: await response.json() };
}

test("GraphQL errors: syntax, validation and variables each have their code", async (t) => {
  const client = anonymous(ctx.gateway.url);
  t.deepEqual(codes((await client.post("{ version")).body), ["GRAPHQL_PARSE_FAILED"]);
  t.deepEqual(codes((await client.post("{ versoin }")).body), ["GRAPHQL_VALIDATION_FAILED"]);
  const variables = await alice.client.post("mutation($p: ProjectInput!) { createProject(input: {project: $p}) { project { name } } }", { p: { nme: "x" } });
  t.deepEqual([...new Set(codes(variables.body))], ["BAD_USER_INPUT"], "an unknown field, and the required one missing");
  const wrongType = await alice.client.post("query($n: Int) { projects(first: $n) { totalCount } }", { n: "many" });
  t.deepEqual(codes(wrongType.body), ["BAD_USER_INPUT"]);
});

test("authentication errors are upper case, with a 401", async (t) => {
  const bad = await withToken(ctx.gateway.url, "not-a-jwt").post("{ version }");
  t.is(bad.status, 401);
  t.deepEqual(codes(bad.body), ["INVALID_TOKEN"]);
  const unknownKey = await withApiKey(ctx.gateway.url, "sg_live_unknown").post("{ version }");
  t.is(unknownKey.status, 401);
  t.deepEqual(codes(unknownKey.body), ["INVALID_API_KEY"]);
});

test("HTTP-level refusals have codes too: unreadable body, wrong media type, unknown path", async (t) => {
  const malformed = await raw({ method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: "{nope" });
  t.is(malformed.status, 400);
  t.deepEqual(codes(malformed.body), ["BAD_REQUEST"]);
  const media = await raw({ method: "POST", headers: { "content-type": "text/plain", accept: "application/json" }, body: "{ version }" });
  t.is(media.status, 415);
  t.deepEqual(codes(media.body), ["UNSUPPORTED_MEDIA_TYPE"]);
  const noQuery = await raw({ method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify({ variables: {} }) });
  t.is(noQuery.status, 400);
  t.deepEqual(codes(noQuery.body), ["BAD_REQUEST"]);
  const notAcceptable = await raw({ method: "POST", headers: { "content-type": "application/json", accept: "text/csv" }, body: JSON.stringify({ query: "{ version }" }) });
  t.is(notAcceptable.status, 406);
  t.deepEqual(codes(notAcceptable.body), ["NOT_ACCEPTABLE"]);
  const missing = await raw({ path: "/nowhere" });
  t.is(missing.status, 404);
  t.deepEqual(codes(missing.body), ["NOT_FOUND"]);
});

test("a permission error becomes SGDNY without naming the table; database input errors keep their SQLSTATE", async (t) => {
  const anon = await anonymous(ctx.gateway.url).post("{ users { totalCount } }");
  t.deepEqual(codes(anon.body), ["SGDNY"]);
  t.notRegex(anon.body.errors![0]!.message, /permission denied|table|users/);
  await alice.client.data('mutation { createProject(input: {project: {name: "twice"}}) { project { projectId } } }');
  const duplicate = await alice.client.post('mutation { createProject(input: {project: {name: "twice"}}) { project { projectId } } }');
  t.deepEqual(codes(duplicate.body), ["23505"]);
  const check = await alice.client.post('mutation { createBudget(input: {budget: {dailyLimit: "-1"}}) { budget { budgetId } } }');
  t.deepEqual(codes(check.body), ["23514"]);
});
