// Every mutation and every root query field, for every role, driven by introspection of the live
// schema: valid input for the caller's own data either works or is refused with a documented
// error code (README: error codes), and no client ever receives PostgreSQL's "permission denied". Callers: anonymous, a
// user with a token, a user's agent with an API key, an operator and an admin; each first makes
// its own rows through the API (what a client cannot make, an admin makes for it through the
// API too). A new mutation or input field is covered without touching this file.
import fs from "node:fs";
import test from "ava";
import { INTROSPECTION, isRequired, named, type FullType, type Field, type TypeRef } from "../security/harness.ts";
import { useTestGateway } from "../helpers/gateway.ts";
import { ApiClient, anonymous, bootstrapAdmin, createApiKey, login, promote, register, uniqueEmail, type Account } from "./client.ts";


/** Codes the README documents (its error code section), plus PostgreSQL's input classes 22 and 23. */
function documentedCodes(): Set<string> {
  const readme = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Error codes"), readme.indexOf("\n## ", readme.indexOf("## Error codes") + 5));
  return new Set([...section.matchAll(/`([A-Z0-9_]{5,})`/g)].map((match) => match[1]!));
}
const DOCUMENTED = documentedCodes();
DOCUMENTED.delete("42501"); // named in the README only to say that it never reaches a client
const isDocumented = (code: unknown) => typeof code === "string" && (DOCUMENTED.has(code) || /^2[23][0-9A-Z]{3}$/.test(code));

interface Caller {
  role: string;
  client: ApiClient;
  account?: Account;
  /** The caller's own rows: input field name (projectId, requestId, ...) -> value. */
  own: Record<string, unknown>;
  /** Node ids of own rows by type name, for update<Type>ById. */
  nodeIds: Record<string, string>;
}

let types: Map<string, FullType>;
let mutations: Field[];
let queries: Field[];
const callers: Caller[] = [];


useTestGateway(
  {
    GRAPHQL_MAX_ALIASES: "100",
    GRAPHQL_MAX_FIELDS: "5000",
    RATE_LIMIT_LOGIN_PER_IP_PER_HOUR: "100000",
    RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_HOUR: "100000",
    RATE_LIMIT_REQUESTS_PER_KEY_PER_MINUTE: "100000",
  },
  async ({ db, gateway }) => {
    const url = gateway.url;
    const admin = await bootstrapAdmin(url, db.ownerUrl);
    const schema = (await admin.client.data(INTROSPECTION)).__schema;
    types = new Map(schema.types.map((type: FullType) => [type.name, type]));
    mutations = types.get(schema.mutationType.name)!.fields!;
    queries = types.get(schema.queryType.name)!.fields!;

    const user = await register(url);
    const agentOwner = await register(url);
    const agentKey = await createApiKey(agentOwner);
    const operator = await promote(admin, await register(url), "operator");
    const adminCaller = await login(url, admin.email, admin.password);
    callers.push({ role: "anonymous", client: anonymous(url), own: {}, nodeIds: {} });
    for (const [role, account, client] of [
      ["user", user, user.client],
      ["api key", agentOwner, agentKey.client],
      ["operator", operator, operator.client],
      ["admin", adminCaller, adminCaller.client],
    ] as const) {
      callers.push({ role, client, account, ...(await ownRows(client, account, admin)) });
    }
  },
);

/** The caller's own rows, made through the API: by the caller where a client may, else by the admin for it. */
async function ownRows(client: ApiClient, account: Account, admin: Account): Promise<Pick<Caller, "own" | "nodeIds">> {
  const one = async (query: string, variables?: Record<string, unknown>) => Object.values(await client.data(query, variables))[0] as any;
  const byAdmin = async (query: string, variables?: Record<string, unknown>) => Object.values(await admin.client.data(query, variables))[0] as any;
  const u = account.userId;
  const project = (await one('mutation { createProject(input: {project: {name: "own"}}) { project { projectId } } }')).project;
  const budget = (await one("mutation($p: UUID!) { createBudget(input: {budget: {projectId: $p, dailyLimit: \"5\"}}) { budget { budgetId } } }", { p: project.projectId })).budget;
  const policy = (await one("mutation($p: UUID!) { createPolicy(input: {policy: {projectId: $p}}) { policy { policyId } } }", { p: project.projectId })).policy;
  const spareKey = await one('mutation { createApiKey(input: {name: "spare"}) { apiKeyId } }');
  const request = (await one('mutation($p: UUID!) { submitRequest(input: {projectId: $p, apiProvider: "openai", estimatedCost: "0"}) { request { requestId } } }', { p: project.projectId })).request;
  const payment = (await one('mutation { recordPayment(input: {amount: "1"}) { payment { paymentId } } }')).payment;
  const spare = await login(client.baseUrl, account.email, account.password);
  const sessions = await account.client.data("{ sessions(orderBy: EXPIRES_AT_DESC, first: 1) { nodes { sessionId } } }");
  const job = (await byAdmin("mutation($u: UUID!) { createAiJob(input: {aiJob: {userId: $u, provider: openai}}) { aiJob { jobId } } }", { u })).aiJob;
  const upload = (await byAdmin('mutation($u: UUID!) { createDataUpload(input: {dataUpload: {userId: $u, fileName: "spend.csv", fileType: csv}}) { dataUpload { uploadId } } }', { u })).dataUpload;
  const recommendation = (await byAdmin('mutation($u: UUID!) { createRecommendation(input: {recommendation: {userId: $u, type: education, title: "t"}}) { recommendation { recommendationId } } }', { u })).recommendation;
  const profile = (await byAdmin("mutation($u: UUID!) { createUserProfile(input: {userProfile: {userId: $u, personaId: 1}}) { userProfile { profileId } } }", { u })).userProfile;
  const history = (await byAdmin("mutation($u: UUID!) { createPersonaHistory(input: {personaHistory: {userId: $u, personaId: 1}}) { personaHistory { historyId } } }", { u })).personaHistory;
  const own: Record<string, unknown> = {
    userId: u, projectId: project.projectId, budgetId: budget.budgetId, policyId: policy.policyId, apiKeyId: spareKey.apiKeyId,
    requestId: request.requestId, paymentId: payment.paymentId, sessionId: sessions.sessions.nodes[0].sessionId, refreshToken: spare.refreshToken,
    jobId: job.jobId, uploadId: upload.uploadId, recommendationId: recommendation.recommendationId, profileId: profile.profileId, historyId: history.historyId,
    email: account.email, password: account.password,
  };
  const nodeIds: Record<string, string> = {};
  const lookups: [string, string, string][] = [
    ["User", "user", "userId"], ["Project", "project", "projectId"], ["Budget", "budget", "budgetId"], ["Policy", "policy", "policyId"],
    ["ApiKey", "apiKey", "apiKeyId"], ["Request", "request", "requestId"], ["Payment", "payment", "paymentId"], ["Session", "session", "sessionId"],
    ["AiJob", "aiJob", "jobId"], ["DataUpload", "dataUpload", "uploadId"], ["Recommendation", "recommendation", "recommendationId"],
    ["UserProfile", "userProfile", "profileId"], ["PersonaHistory", "personaHistory", "historyId"],
  ];
  for (const [type, field, key] of lookups) {
    const node = await admin.client.data(`query($k: ${key === "apiKeyId" ? "BigInt" : "UUID"}!) { ${field}(${key}: $k) { id } }`, { k: own[key] });
    nodeIds[type] = node[field].id;
  }
  return { own, nodeIds };
}

/** A value the caller may legitimately send for `name`: its own ids, its current values, or a plain sample. */
function sample(ref: TypeRef, name: string, caller: Caller): unknown {
  const type = types.get(named(ref).name!)!;
  if (name in caller.own) return caller.own[name];
  if (name === "userId") return caller.account?.userId ?? "00000000-0000-4000-8000-00000000abcd";
  if (name === "email") return uniqueEmail("probe");
  // The caller's own account keeps its role and stays active: valid, and it keeps the caller able to call.
  if (name === "role") return { user: "user", "api key": "user", operator: "operator", admin: "admin" }[caller.role] ?? "user";
  if (name === "accountStatus") return "active";
  if (name === "deletedAt") return null;
  if (name === "password") return "correct horse battery";
  if (type.kind === "ENUM") return type.enumValues![0]!.name;
  if (type.kind === "INPUT_OBJECT") return {};
  const samples: Record<string, unknown> = {
    String: `probe-${Math.random().toString(36).slice(2, 8)}`, JSON: {}, BigFloat: "1", BigInt: "1", Int: 1, Float: 1, Boolean: true,
    Datetime: "2031-01-01T00:00:00Z", Date: "2031-01-01", UUID: "00000000-0000-4000-8000-00000000abcd", ID: "WyJub25lIl0=",
  };
  return samples[type.name] ?? null;
}

/** Inputs to try for `mutation` as `caller`: the required fields, then each optional one on top. */
function attempts(mutation: Field, caller: Caller): Record<string, unknown>[] {
  const input = types.get(named(mutation.args.find((arg) => arg.name === "input")!.type).name!)!;
  const base: Record<string, unknown> = {};
  const nested: { name: string; type: FullType }[] = [];
  const optional: { name: string; ref: TypeRef }[] = [];
  const typeName = /^(?:update|delete)(\w+?)(?:By\w+)?$/.exec(mutation.name)?.[1];
  for (const field of input.inputFields!) {
    if (field.name === "clientMutationId") continue;
    const fieldType = types.get(named(field.type).name!)!;
    if (fieldType.kind === "INPUT_OBJECT") nested.push({ name: field.name, type: fieldType });
    else if (field.name === "id" && typeName) base.id = caller.nodeIds[typeName] ?? sample(field.type, field.name, caller);
    else if (isRequired(field.type) || field.name in caller.own) base[field.name] = sample(field.type, field.name, caller);
    else optional.push({ name: field.name, ref: field.type });
  }
  const result: Record<string, unknown>[] = [];
  if (nested.length === 0) {
    result.push(base);
    for (const field of optional) result.push({ ...base, [field.name]: sample(field.ref, field.name, caller) });
    return result;
  }
  for (const { name, type } of nested) {
    const record: Record<string, unknown> = {};
    const recordOptional: { name: string; ref: TypeRef }[] = [];
    for (const field of type.inputFields!) {
      if (isRequired(field.type) || (field.name === "userId" && name !== "patch")) record[field.name] = sample(field.type, field.name, caller);
      else recordOptional.push({ name: field.name, ref: field.type });
    }
    if (name !== "patch") result.push({ ...base, [name]: record });
    for (const field of recordOptional) result.push({ ...base, [name]: { ...record, [field.name]: sample(field.ref, field.name, caller) } });
  }
  return result;
}

function selection(mutation: Field): string {
  const payload = types.get(named(mutation.type).name!)!;
  const parts = payload.fields!.flatMap((field) => {
    const type = types.get(named(field.type).name!)!;
    if (type.kind === "SCALAR" || type.kind === "ENUM") return [field.name];
    if (type.kind === "OBJECT" && type.fields?.some((f) => f.name === "userId")) return [`${field.name} { userId }`];
    return [];
  });
  return parts.length ? parts.join(" ") : "__typename";
}

/** Mutations that end the caller's own credentials or account: run last, in this order. */
const LAST = ["revokeApiKey", "deleteApiKey", "deleteSession", "logout", "deleteUser"];
/**
 * Order of the run: creating and acting first, then generic updates, then what ends a row
 * (so that completePayment meets a pending payment before cancelPayment ends it), then LAST.
 */
const phase = (name: string) => (LAST.includes(name) ? 3 + LAST.indexOf(name) : /^(cancel|fail|reject|delete)/.test(name) ? 2 : /^update/.test(name) ? 1 : 0);

interface Outcome {
  mutation: string;
  input: unknown;
  ok: boolean;
  code?: unknown;
  message?: string;
  userId?: unknown;
}

async function run(caller: Caller, mutation: Field, inputs: Record<string, unknown>[]): Promise<Outcome[]> {
  const inputType = named(mutation.args.find((arg) => arg.name === "input")!.type).name!;
  const outcomes: Outcome[] = [];
  for (let start = 0; start < inputs.length; start += 25) {
    const batch = inputs.slice(start, start + 25);
    const document = `mutation(${batch.map((_, i) => `$i${i}: ${inputType}!`).join(", ")}) { ${batch.map((_, i) => `m${i}: ${mutation.name}(input: $i${i}) { ${selection(mutation)} }`).join(" ")} }`;
    const response = await caller.client.post(document, Object.fromEntries(batch.map((input, i) => [`i${i}`, input])));
    const errors = new Map((response.body.errors ?? []).map((error) => [error.path?.[0], error]));
    if (response.status !== 200 || errors.has(undefined)) {
      // Refused as a whole (e.g. 401 once the caller's own session or account has ended).
      const code = response.body.errors?.[0]?.extensions?.code ?? `HTTP ${response.status}`;
      outcomes.push({ mutation: mutation.name, input: batch, ok: false, code, message: JSON.stringify(response.body) });
      continue;
    }
    batch.forEach((input, i) => {
      const error = errors.get(`m${i}`);
      const payload = response.body.data?.[`m${i}`];
      const record = payload && Object.values(payload).find((value) => value && typeof value === "object" && "userId" in (value as object));
      outcomes.push(error
        ? { mutation: mutation.name, input, ok: false, code: error.extensions?.code, message: error.message }
        : { mutation: mutation.name, input, ok: true, userId: (record as { userId?: unknown } | undefined)?.userId });
    });
  }
  return outcomes;
}

/** A selection for a root query field: totalCount of a connection, an own row's id, or the scalars. */
function querySelection(field: Field): string | undefined {
  const type = types.get(named(field.type).name!)!;
  if (type.kind === "SCALAR" || type.kind === "ENUM") return "";
  if (type.fields?.some((f) => f.name === "totalCount")) return "{ totalCount }";
  if (type.fields?.some((f) => f.name === "id")) return "{ id }";
  return "{ __typename }";
}

// Queries first: the mutation runs below end the callers' own sessions and accounts.
for (const role of ["anonymous", "user", "api key", "operator", "admin"]) {
  test.serial(`${role}: every root query field, with the caller's own ids, answers data or a documented code`, async (t) => {
    const caller = callers.find((c) => c.role === role)!;
    const problems: string[] = [];
    let asked = 0;
    for (const field of queries) {
      const selection = querySelection(field);
      const args = field.args.filter((arg) => isRequired(arg.type) || arg.name in caller.own);
      if (selection === undefined || args.some((arg) => arg.name === "id" || types.get(named(arg.type).name!)!.kind === "INPUT_OBJECT")) continue;
      const values = Object.fromEntries(args.map((arg) => [arg.name, sample(arg.type, arg.name, caller)]));
      const typeOf = (ref: TypeRef): string => (ref.kind === "NON_NULL" ? `${typeOf(ref.ofType!)}!` : ref.kind === "LIST" ? `[${typeOf(ref.ofType!)}]` : ref.name!);
      const declared = args.map((arg) => `$${arg.name}: ${typeOf(arg.type)}`).join(", ");
      const passed = args.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
      const query = `query${declared ? `(${declared})` : ""} { ${field.name}${passed ? `(${passed})` : ""} ${selection} }`;
      const response = await caller.client.post(query, values);
      asked++;
      for (const error of response.body.errors ?? []) {
        if (!isDocumented(error.extensions?.code) || /permission denied/i.test(error.message)) problems.push(`${field.name}: ${error.extensions?.code} ${error.message}`);
      }
      if (response.status !== 200) problems.push(`${field.name}: HTTP ${response.status}`);
    }
    t.true(asked > 20, `root fields asked: ${asked}`);
    t.deepEqual(problems, []);
  });
}

for (const role of ["anonymous", "user", "api key", "operator", "admin"]) {
  test.serial(`${role}: every mutation with valid input for its own data works or answers a documented code; never a raw permission error`, async (t) => {
    const caller = callers.find((c) => c.role === role)!;
    const ordered = [...mutations].sort((a, b) => phase(a.name) - phase(b.name));
    const outcomes: Outcome[] = [];
    for (const mutation of ordered) outcomes.push(...(await run(caller, mutation, attempts(mutation, caller))));

    const bad = outcomes.filter((o) => !o.ok && (!isDocumented(o.code) || /permission denied/i.test(o.message ?? "")));
    t.deepEqual(bad.map((o) => `${o.mutation}(${JSON.stringify(o.input)}): ${o.code} ${o.message}`), []);
    const foreign = outcomes.filter((o) => o.ok && caller.account && typeof o.userId === "string" && o.userId !== caller.account.userId && !["register"].includes(o.mutation));
    t.deepEqual(foreign.map((o) => o.mutation), [], "what a caller creates or changes with its own data is its own");
    t.true(outcomes.length > 200, `attempts: ${outcomes.length}`);

    // The suite proves something only if the documented flows really work for the role.
    const worked = new Set(outcomes.filter((o) => o.ok).map((o) => o.mutation));
    const mustWork =
      role === "anonymous"
        ? ["register"]
        : ["createProject", "updateProject", "deleteProject", "createPolicy", "updateBudget", "createApiKey", "updateApiKey", "submitRequest", "recordPayment", "refreshSession", "login", "logout"];
    if (role === "operator" || role === "admin") mustWork.push("completePayment");
    if (role === "admin") mustWork.push("createAiJob", "updateUser", "createPersonaHistory", "updateRecommendation");
    t.deepEqual(mustWork.filter((name) => !worked.has(name)), [], "documented operations that did not work for this role");
    // One recommendation per caller: whichever decision comes first works, the other is final (SGTRN).
    if (role === "operator" || role === "admin") t.true(worked.has("approveRecommendation") || worked.has("rejectRecommendation"), "operators decide recommendations");
    if (role === "anonymous") t.true(outcomes.filter((o) => !o.ok).every((o) => o.code !== "INTERNAL"));
  });
}
