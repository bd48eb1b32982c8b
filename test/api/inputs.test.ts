// Inputs tell the truth: what the schema offers a client, a client of that role can send. Columns
// filled by defaults or triggers are optional, a caller may name itself as owner (row-level
// security decides whose row it is), fields only admins or the database's functions write are
// refused with SGCOL before any SQL runs (or not offered at all), and identifiers read
// budgetId / policyId / apiKeyId. Everything through HTTP from an empty database.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, createApiKey, register, type Account } from "./client.ts";

let alice: Account;
let bob: Account;
let admin: Account;
const ctx = useTestGateway({}, async ({ db, gateway }) => {
  [alice, bob, admin] = await Promise.all([register(gateway.url), register(gateway.url), bootstrapAdmin(gateway.url, db.ownerUrl)]);
});

const CREATE_PROJECT = "mutation($p: ProjectInput!) { createProject(input: {project: $p}) { project { projectId userId name } } }";
const CREATE_BUDGET = "mutation($b: BudgetInput!) { createBudget(input: {budget: $b}) { budget { budgetId userId projectId dailyLimit monthlyLimit periodStart periodEnd } } }";

test("a budget is created with limits only: the periods default (periodEnd by the trigger, one month after periodStart)", async (t) => {
  const { createBudget } = await alice.client.data(CREATE_BUDGET, { b: { dailyLimit: "5", monthlyLimit: "100" } });
  const budget = createBudget.budget;
  t.is(budget.userId, alice.userId);
  t.is(budget.dailyLimit, "5.00000000");
  const start = new Date(budget.periodStart);
  t.is(start.getUTCDate(), 1, "the current UTC month");
  const end = new Date(budget.periodEnd);
  t.is((end.getUTCFullYear() * 12 + end.getUTCMonth()) - (start.getUTCFullYear() * 12 + start.getUTCMonth()), 1);
  const read = await alice.client.data("query($id: UUID!) { budget(budgetId: $id) { budgetId monthlyLimit } }", { id: budget.budgetId });
  t.deepEqual(read.budget, { budgetId: budget.budgetId, monthlyLimit: "100.00000000" });
});

test("a caller may name itself as owner; another user's id is refused by row-level security with SGDNY", async (t) => {
  const own = await alice.client.data(CREATE_PROJECT, { p: { name: "mine", userId: alice.userId } });
  t.is(own.createProject.project.userId, alice.userId);
  const policy = await alice.client.data("mutation($u: UUID!) { createPolicy(input: {policy: {userId: $u, allowedProviders: [\"openai\"]}}) { policy { policyId userId allowedProviders } } }", { u: alice.userId });
  t.like(policy.createPolicy.policy, { userId: alice.userId, allowedProviders: ["openai"] });

  const foreign = await alice.client.post(CREATE_PROJECT, { p: { name: "for bob", userId: bob.userId } });
  t.deepEqual(foreign.body.errors?.map((e) => e.extensions?.code), ["SGDNY"]);
  t.notRegex(foreign.body.errors![0]!.message, /permission denied for table/);
  const bobs = await bob.client.data("{ projects { nodes { name } } }");
  t.false(bobs.projects.nodes.some((p: { name: string }) => p.name === "for bob"), "nothing was created for bob");
});

test("a field only admins write is refused with SGCOL naming field and role, before any SQL runs", async (t) => {
  const carol = await register(ctx.gateway.url);
  await carol.client.data(CREATE_BUDGET, { b: { dailyLimit: "2" } });
  const response = await carol.client.post(CREATE_BUDGET, { b: { projectId: null, dailyLimit: "1", periodEnd: "2099-01-01T00:00:00Z" } });
  t.deepEqual(response.body.errors?.map((e) => [e.extensions?.code, e.message]), [["SGCOL", "role user may not set BudgetInput.periodEnd"]]);
  t.is(response.body.data?.createBudget, null);
  // Had the INSERT run, it would have failed on the privilege (SGDNY) or on carol's existing
  // user-wide budget (23505), not with SGCOL; and nothing was added.
  const { budgets } = await admin.client.data("query($u: UUID!) { budgets(condition: {userId: $u}) { nodes { dailyLimit } } }", { u: carol.userId });
  t.deepEqual(budgets.nodes, [{ dailyLimit: "2.00000000" }]);

  const patch = await alice.client.post("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {role: admin}}) { user { role } } }", { id: alice.userId });
  t.deepEqual(patch.body.errors?.map((e) => [e.extensions?.code, e.message]), [["SGCOL", "role user may not set UserPatch.role"]]);
  const me = await alice.client.data("{ currentUser { role } }");
  t.is(me.currentUser.role, "user");
});

test("the same field is accepted from a role that holds the privilege (admins set periods)", async (t) => {
  const project = await bob.client.data(CREATE_PROJECT, { p: { name: "bob's" } });
  const { createBudget } = await admin.client.data(CREATE_BUDGET, {
    b: { userId: bob.userId, projectId: project.createProject.project.projectId, monthlyLimit: "10", periodStart: "2026-01-15T00:00:00Z", periodEnd: "2026-02-15T00:00:00Z" },
  });
  t.like(createBudget.budget, { userId: bob.userId, periodEnd: "2026-02-15T00:00:00.000000+00:00" });
});

test("balances and spend counters are in no input, for admins neither: only payments and settlement move them", async (t) => {
  const { __type: userPatch } = await admin.client.data("{ __type(name: \"UserPatch\") { inputFields { name } } }");
  const fields = userPatch.inputFields.map((f: { name: string }) => f.name);
  for (const field of ["availableBalance", "totalSpending", "totalRequests", "lastRequestAt", "reservedBalance"]) t.false(fields.includes(field), field);
  for (const type of ["BudgetInput", "BudgetPatch"]) {
    const { __type } = await admin.client.data(`{ __type(name: "${type}") { inputFields { name } } }`);
    const names = __type.inputFields.map((f: { name: string }) => f.name);
    for (const field of ["currentDailySpending", "currentMonthlySpending", "reservedSpending"]) t.false(names.includes(field), `${type}.${field}`);
  }
  const direct = await admin.client.post("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {availableBalance: \"1000\"}}) { user { availableBalance } } }", { id: alice.userId });
  t.is(direct.status, 200, "a validation error (application/json answers them with 200)");
  t.is(direct.body.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
});

test("identifiers are budgetId, policyId and apiKeyId, in arguments, inputs and results", async (t) => {
  const key = await createApiKey(alice, "renamed later");
  const renamed = await alice.client.data("mutation($id: BigInt!) { updateApiKey(input: {apiKeyId: $id, patch: {name: \"research agent\"}}) { apiKey { apiKeyId name } } }", { id: key.apiKeyId });
  t.deepEqual(renamed.updateApiKey.apiKey, { apiKeyId: key.apiKeyId, name: "research agent" });
  const dave = await register(ctx.gateway.url);
  const { createPolicy } = await dave.client.data("mutation { createPolicy(input: {policy: {}}) { policy { policyId } } }");
  const policyId = createPolicy.policy.policyId;
  const one = await dave.client.data("query($id: UUID!) { policy(policyId: $id) { policyId } }", { id: policyId });
  t.is(one.policy.policyId, policyId);
  const { __type } = await alice.client.data("{ __type(name: \"Budget\") { fields { name } } }");
  t.false(__type.fields.some((f: { name: string }) => f.name === "rowId"));
});

test("currentUser answers who the caller is, for a token and for an API key; null for anonymous callers", async (t) => {
  const byToken = await alice.client.data("{ currentUser { userId email role } }");
  t.deepEqual(byToken.currentUser, { userId: alice.userId, email: alice.email, role: "user" });
  const key = await createApiKey(bob);
  const byKey = await key.client.data("{ currentUser { userId email } }");
  t.deepEqual(byKey.currentUser, { userId: bob.userId, email: bob.email });
  const nobody = await new (alice.client.constructor as any)(ctx.gateway.url).data("{ currentUser { userId } }");
  t.is(nobody.currentUser, null);
});
