// SQL injection attempts through every kind of client input: conditions, ordering, JSON and string
// arguments, function arguments, cursors and node ids. Values must be treated as data (stored and
// read back verbatim), bad inputs refused with a clear error, and no response may carry SQL text
// or a stack trace. At the end, no table changed except where the suite wrote on purpose.
import test from "ava";
import { ADMIN, ALICE, leaks, startHarness, type Harness } from "./harness.ts";

let h: Harness;
let countsBefore: Record<string, number>;
/** Every response of this suite, checked for leaks at the end. */
const responses: { label: string; body: any }[] = [];

const PAYLOADS = [
  "' or 1=1 --",
  "x' or '1'='1",
  "'); drop table app_public.users; --",
  "\"; delete from app_public.projects where true; --",
  "1; select pg_sleep(5)",
  "$$; drop schema app_public cascade; $$",
  "\\'; truncate app_public.requests; --",
];

async function counts(): Promise<Record<string, number>> {
  const { rows } = await h.db.ownerPool.query<{ relname: string }>(
    "select relname from pg_class where relnamespace = 'app_public'::regnamespace and relkind in ('r', 'p') order by relname",
  );
  const result: Record<string, number> = {};
  for (const { relname } of rows) result[relname] = (await h.db.ownerPool.query(`select count(*)::int as n from app_public.${relname}`)).rows[0].n;
  return result;
}

async function gql(label: string, query: string, variables: Record<string, unknown> = {}, headers?: Record<string, string>) {
  const response = await h.gateway.graphql(query, variables, headers ?? (await h.gateway.as(ALICE)));
  responses.push({ label, body: response.body });
  return response;
}

test.before(async () => {
  h = await startHarness();
  countsBefore = await counts();
});
test.after.always(async () => {
  await h?.gateway.close();
  await h?.db.drop();
});

test.serial("injection strings in conditions match nothing and are not interpreted", async (t) => {
  const admin = await h.gateway.as(ADMIN, "admin");
  for (const payload of PAYLOADS) {
    const requests = await gql(
      `requests condition ${payload}`,
      "query($m: String, $p: String) { requests(condition: {modelName: $m, apiProvider: $p}) { totalCount nodes { requestId } } }",
      { m: payload, p: payload },
      admin,
    );
    t.is(requests.status, 200);
    t.deepEqual(requests.body, { data: { requests: { totalCount: 0, nodes: [] } } });
    const payments = await gql(`payments condition ${payload}`, "query($c: String) { payments(condition: {currency: $c}) { totalCount } }", { c: payload });
    t.deepEqual(payments.body, { data: { payments: { totalCount: 0 } } });
    // A UUID condition is typed: the string never reaches SQL.
    const users = await gql(`users condition ${payload}`, "query($u: UUID) { users(condition: {userId: $u}) { totalCount } }", { u: payload }, admin);
    t.is(users.body.data, undefined);
    t.deepEqual(users.body.errors.length, 1);
    t.regex(users.body.errors[0].message, /^Variable "\$u" got invalid value/);
  }
  // Inline in the document, too (a GraphQL string literal, not a variable).
  const inline = await gql("inline condition", `{ requests(condition: {modelName: "' or 1=1 --"}) { totalCount } }`, {}, admin);
  t.deepEqual(inline.body, { data: { requests: { totalCount: 0 } } });
  // Control: a real value matches exactly the rows SQL finds.
  const { rows } = await h.db.ownerPool.query(
    "select count(*)::int as n from app_public.requests where user_id = $1 and model_name = 'gpt-4o-mini' and deleted_at is null",
    [ALICE],
  );
  t.true(rows[0].n > 0);
  const real = await gql("real condition", `{ requests(condition: {modelName: "gpt-4o-mini"}) { totalCount } }`);
  t.deepEqual(real.body, { data: { requests: { totalCount: rows[0].n } } });
});

test.serial("ordering accepts only the enum's values: anything else is rejected by validation before execution", async (t) => {
  const literal = await gql("orderBy literal", "{ projects(orderBy: [NAME_ASC, NAME_ASC_DROP]) { totalCount } }");
  t.is(literal.body.data, undefined);
  t.true(literal.body.errors.some((e: any) => /^Value "NAME_ASC_DROP" does not exist in "ProjectOrderBy" enum\./.test(e.message)), JSON.stringify(literal.body.errors));
  const variable = await gql("orderBy variable", "query($o: [ProjectOrderBy!]) { projects(orderBy: $o) { totalCount } }", { o: ["name; drop table app_public.projects"] });
  t.is(variable.body.data, undefined);
  t.is(variable.body.errors.length, 1);
  t.regex(variable.body.errors[0].message, /^Variable "\$o" got invalid value "name; drop table app_public.projects" at "o\[0\]"; Value "name; drop table app_public.projects" does not exist in "ProjectOrderBy" enum\./);
  const string = await gql("orderBy string", `{ projects(orderBy: "name desc; drop table x") { totalCount } }`);
  t.is(string.body.data, undefined);
  t.regex(string.body.errors[0].message, /^Enum "ProjectOrderBy" cannot represent non-enum value: "name desc; drop table x"\./);
});

test.serial("JSON and string arguments holding SQL are stored verbatim and read back identically", async (t) => {
  const rateLimits = Object.fromEntries(PAYLOADS.map((payload, i) => [payload, { note: payload, n: i }]));
  const policyId = "00000000-0000-4000-b000-000000000001";
  const updated = await gql(
    "policy json",
    "mutation($id: UUID!, $r: JSON!, $p: JSON!) { updatePolicy(input: {policyId: $id, patch: {rateLimits: $r, allowedProviders: $p}}) { policy { rateLimits allowedProviders } } }",
    { id: policyId, r: rateLimits, p: PAYLOADS },
  );
  t.deepEqual(updated.body, { data: { updatePolicy: { policy: { rateLimits, allowedProviders: PAYLOADS } } } });
  const readBack = await gql("policy json read", "query($id: UUID!) { policy(policyId: $id) { rateLimits allowedProviders } }", { id: policyId });
  t.deepEqual(readBack.body, { data: { policy: { rateLimits, allowedProviders: PAYLOADS } } });
  const { rows } = await h.db.ownerPool.query("select rate_limits, allowed_providers from app_public.policies where id = $1", [policyId]);
  t.deepEqual(rows, [{ rate_limits: rateLimits, allowed_providers: PAYLOADS }]);

  const description = PAYLOADS.join("\n");
  const project = await gql(
    "project string",
    "mutation($d: String!) { updateProject(input: {projectId: \"00000000-0000-4000-9000-000000000002\", patch: {description: $d}}) { project { description } } }",
    { d: description },
  );
  t.deepEqual(project.body, { data: { updateProject: { project: { description } } } });
  const stored = await h.db.ownerPool.query("select description from app_public.projects where project_id = '00000000-0000-4000-9000-000000000002'");
  t.is(stored.rows[0].description, description);
});

test.serial("string arguments of SQL functions are data: injection in login is SGAUT, in submitRequest it is stored verbatim", async (t) => {
  for (const [email, password] of [
    ["x' or '1'='1", "' or '1'='1"],
    ["alice@example.com' --", "anything"],
    ["alice@example.com", "' or 1=1 --"],
    ["' union select user_id, password_hash from app_public.users --", "x"],
  ]) {
    const response = await gql(`login ${email}`, "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }", { e: email, p: password }, {});
    t.is(response.status, 200);
    t.deepEqual(response.body.data, { login: null });
    t.deepEqual(response.body.errors.map((e: any) => e.extensions.code), ["SGAUT"], `${email} / ${password}`);
  }
  const agentId = "'; update app_public.budgets set daily_limit = 0; --";
  const submitted = await gql(
    "submitRequest",
    `mutation($a: String!, $p: JSON!) { submitRequest(input: {projectId: "00000000-0000-4000-9000-000000000002", agentId: $a, apiProvider: "openai",
        modelName: "gpt-4o-mini", endpoint: "chat.completions", parameters: $p, estimatedCost: "0.01"}) { request { agentId parameters } } }`,
    { a: agentId, p: { prompt: PAYLOADS[2] } },
  );
  t.deepEqual(submitted.body, { data: { submitRequest: { request: { agentId, parameters: { prompt: PAYLOADS[2] } } } } });
  const { rows } = await h.db.ownerPool.query("select daily_limit::text from app_public.budgets where id = '00000000-0000-4000-a000-000000000001'");
  t.deepEqual(rows, [{ daily_limit: "50.00000000" }]);
});

test.serial("garbage cursors are refused with a clear error and no SQL", async (t) => {
  for (const cursor of ["garbage", Buffer.from("' or 1=1 --").toString("base64"), Buffer.from(JSON.stringify(["natural", "1; drop table x"])).toString("base64")]) {
    const response = await gql(`cursor ${cursor}`, "query($c: Cursor) { projects(after: $c) { totalCount nodes { projectId } } }", { c: cursor });
    t.not(response.status, 500);
    t.is(response.body.data?.projects ?? null, null, cursor);
    t.is(response.body.errors.length, 1);
    t.notRegex(response.body.errors[0].message, /unexpected error/i, `${cursor}: ${response.body.errors[0].message}`);
    t.not(response.body.errors[0].extensions?.code, "INTERNAL");
  }
});

test.serial("garbage node ids give null or a clear error, never another row", async (t) => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");
  for (const id of [
    "garbage",
    b64(["Project", "' or 1=1 --"]),
    b64(["Project", "00000000-0000-4000-9000-000000000003' or '1'='1"]),
    b64(["Project; drop table x", "00000000-0000-4000-9000-000000000001"]),
    b64(["User", "00000000-0000-4000-8000-000000000003"]), // a valid User id, asked for as a Project
  ]) {
    const response = await gql(`node ${id}`, "query($id: ID!) { node(id: $id) { __typename } projectById(id: $id) { projectId } }", { id });
    t.not(response.status, 500);
    t.is(response.body.data?.projectById ?? null, null, id);
    for (const error of response.body.errors ?? []) t.not(error.extensions?.code, "INTERNAL", `${id}: ${error.message}`);
    if (response.body.data?.node) t.is(response.body.data.node.__typename, "User", "only the genuine user id resolves, as a User");
  }
});

test.serial("after every attempt, no table lost or gained rows (except the one submitted request) and no error carried SQL or a stack trace", async (t) => {
  t.deepEqual(await counts(), { ...countsBefore, requests: countsBefore.requests! + 1 });
  t.true(responses.length > 30);
  for (const { label, body } of responses) t.deepEqual(leaks(body, PAYLOADS), [], label);
});
