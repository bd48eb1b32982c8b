// Daily spend rollups (issue 15 part 7), as clients meet them: from an empty database, only through
// HTTP. Agents submit and settle requests; the rollups follow in the same transaction, each user
// (and the user's API keys) reads only their own rows, operators read every user's and the
// platform-wide table, anonymous callers nothing; an admin's check proves them exact.
import fs from "node:fs";
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { anonymous, bootstrapAdmin, createApiKey, promote, register, type Account, type ApiClient } from "./client.ts";

let admin: Account;
let operator: Account;
let alice: Agent;
let bob: Agent;
const ctx = useTestGateway({}, async ({ db, gateway }) => {
  admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
  operator = await promote(admin, await register(gateway.url), "operator");
  alice = await agent();
  bob = await agent();
  await spend(alice, { agentId: "writer", apiProvider: "openai", modelName: "gpt-4o" }, "0.5");
  await spend(alice, { agentId: "writer", apiProvider: "openai", modelName: "gpt-4o" }, "0.25");
  await spend(alice, { agentId: "critic", apiProvider: "anthropic", modelName: "claude" }, "2");
  await spend(alice, { agentId: "critic", apiProvider: "anthropic", modelName: "claude" }, "9", "cancel");
  await spend(bob, { agentId: "bot", apiProvider: "openai", modelName: "gpt-4o" }, "1.125");
});

interface Agent {
  owner: Account;
  projectId: string;
  key: ApiClient;
}

/** A user with a project, a budget and a policy allowing everything, a completed top-up and an API key. */
async function agent(): Promise<Agent> {
  const owner = await register(ctx.gateway.url);
  const { createProject } = await owner.client.data('mutation { createProject(input: {project: {name: "research"}}) { project { projectId } } }');
  const projectId = createProject.project.projectId;
  await owner.client.data('mutation($p: UUID!) { createBudget(input: {budget: {projectId: $p, dailyLimit: "1000", monthlyLimit: "1000"}}) { budget { budgetId } } }', { p: projectId });
  await owner.client.data("mutation($p: UUID!) { createPolicy(input: {policy: {projectId: $p}}) { policy { policyId } } }", { p: projectId });
  const { recordPayment } = await owner.client.data('mutation { recordPayment(input: {amount: "500", currency: "USD"}) { payment { paymentId } } }');
  await operator.client.data("mutation($id: UUID!) { completePayment(input: {paymentId: $id}) { payment { status } } }", { id: recordPayment.payment.paymentId });
  return { owner, projectId, key: (await createApiKey(owner, "agent")).client };
}

/** Submits a request as the agent and, unless `end` says otherwise, completes it with `actualCost`. */
async function spend(a: Agent, call: { agentId: string; apiProvider: string; modelName: string }, actualCost: string, end: "complete" | "cancel" = "complete") {
  const { submitRequest } = await a.key.data(
    "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { request { requestId status } } }",
    { input: { projectId: a.projectId, endpoint: "chat", parameters: {}, estimatedCost: "1", ...call } },
  );
  if (submitRequest.request.status !== "approved") throw new Error(`not approved: ${JSON.stringify(submitRequest)}`);
  const id = submitRequest.request.requestId;
  if (end === "cancel") await a.key.data("mutation($id: UUID!) { cancelRequest(input: {requestId: $id}) { request { status } } }", { id });
  else await a.key.data("mutation($id: UUID!, $c: BigFloat!) { completeRequest(input: {requestId: $id, actualCost: $c}) { request { status } } }", { id, c: actualCost });
}

const DAILY = `{ dailySpends { nodes { userId projectId agentId apiProvider modelName settledRequests actualCost settledCost } } }`;
const BY_PROVIDER_AND_DAY = `query($today: Date!) {
  platformDailySpendBetween(firstDay: $today, lastDay: $today) { groupedAggregates(groupBy: [API_PROVIDER, DAY]) { keys sum { actualCost settledRequests } } }
  requests { groupedAggregates(groupBy: [API_PROVIDER, CREATED_AT_TRUNCATED_TO_DAY]) { keys sum { actualCost } } }
}`;
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const DISCREPANCIES = "{ spendRollupDiscrepancies { nodes { rollup key expected stored } } }";

const sortRows = <T>(rows: T[]) => rows.slice().sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

test("a user reads their own daily spend, settled requests only, one row per agent, provider and model", async (t) => {
  const { dailySpends } = await alice.owner.client.data(DAILY);
  const row = { userId: alice.owner.userId, projectId: alice.projectId };
  t.deepEqual(sortRows(dailySpends.nodes), sortRows([
    { ...row, agentId: "writer", apiProvider: "openai", modelName: "gpt-4o", settledRequests: "2", actualCost: "0.75000000", settledCost: "0.75000000" },
    { ...row, agentId: "critic", apiProvider: "anthropic", modelName: "claude", settledRequests: "1", actualCost: "2.00000000", settledCost: "2.00000000" },
  ]));
  const viaKey = await alice.key.data(DAILY);
  t.deepEqual(sortRows(viaKey.dailySpends.nodes), sortRows(dailySpends.nodes), "the user's API key reads the same rows");
  const { dailySpends: grouped } = await alice.owner.client.data("{ dailySpends { groupedAggregates(groupBy: [API_PROVIDER]) { keys sum { settledCost } } } }");
  t.deepEqual(sortRows(grouped.groupedAggregates), sortRows([
    { keys: ["openai"], sum: { settledCost: "0.75000000" } },
    { keys: ["anthropic"], sum: { settledCost: "2.00000000" } },
  ]));
});

test("operators read every user's rollups and platform-wide spend by provider and day, equal to the sums over requests", async (t) => {
  const { dailySpends } = await operator.client.data("{ dailySpends { nodes { userId } } }");
  const users = new Set(dailySpends.nodes.map((n: { userId: string }) => n.userId));
  t.true(users.has(alice.owner.userId) && users.has(bob.owner.userId));
  const { platformDailySpendBetween: platform, requests } = await operator.client.data(BY_PROVIDER_AND_DAY, { today: today() });
  t.deepEqual(sortRows(platform.groupedAggregates), sortRows([
    { keys: ["openai", today()], sum: { actualCost: "1.87500000", settledRequests: "3" } },
    { keys: ["anthropic", today()], sum: { actualCost: "2.00000000", settledRequests: "1" } },
  ]));
  // The same question over the raw requests (slow at scale): same answer, day for day.
  const raw = requests.groupedAggregates
    .filter((g: any) => g.sum.actualCost !== null && g.keys[1].startsWith(today()))
    .map((g: any) => ({ keys: [g.keys[0], g.keys[1].slice(0, 10)], sum: { actualCost: g.sum.actualCost } }));
  t.deepEqual(
    sortRows(raw),
    sortRows(platform.groupedAggregates.map((g: any) => ({ keys: g.keys, sum: { actualCost: g.sum.actualCost } }))),
  );
});

test("a range of days: the last 30 days leave out older spend, for the user and for operators", async (t) => {
  // An older settled request (timestamps are set in the database; the trigger counts it the same way).
  await ctx.db.ownerPool.query(
    `insert into app_public.requests (user_id, project_id, agent_id, api_provider, model_name, status, estimated_cost, actual_cost, created_at)
     values ($1, $2, 'writer', 'legacy', 'old', 'executed', 1, 4, now() - interval '40 days')`,
    [bob.owner.userId, bob.projectId],
  );
  const mine = await bob.owner.client.data(`query($first: Date!, $last: Date!) {
    all: dailySpends { aggregates { sum { actualCost } } }
    recent: dailySpendBetween(firstDay: $first, lastDay: $last) { aggregates { sum { actualCost } } groupedAggregates(groupBy: [DAY]) { keys } }
    open: dailySpendBetween(lastDay: $last) { aggregates { sum { actualCost } } }
  }`, { first: daysAgo(29), last: today() });
  t.is(mine.all.aggregates.sum.actualCost, "5.12500000");
  t.is(mine.recent.aggregates.sum.actualCost, "1.12500000");
  t.deepEqual(mine.recent.groupedAggregates, [{ keys: [today()] }]);
  t.is(mine.open.aggregates.sum.actualCost, "5.12500000", "a null first day leaves the range open");
  const platform = await operator.client.data(`query($first: Date!) {
    platformDailySpendBetween(firstDay: $first) { groupedAggregates(groupBy: [API_PROVIDER]) { keys } }
  }`, { first: daysAgo(29) });
  t.false(platform.platformDailySpendBetween.groupedAggregates.some((g: any) => g.keys[0] === "legacy"));
  t.deepEqual((await bob.owner.client.errors("{ platformDailySpendBetween(firstDay: null) { nodes { day } } }")).map(([code]) => code), ["SGDNY"]);
});

test("users and API keys cannot read platform-wide spend; anonymous callers read no rollup", async (t) => {
  for (const client of [alice.owner.client, alice.key]) {
    t.deepEqual((await client.errors("{ platformDailySpends { nodes { actualCost } } }")).map(([code]) => code), ["SGDNY"]);
  }
  for (const query of [DAILY, "{ platformDailySpends { nodes { actualCost } } }"]) {
    t.deepEqual((await anonymous(ctx.gateway.url).errors(query)).map(([code]) => code), ["SGDNY"]);
  }
});

test("no role can write a rollup: the API has no mutation for them", async (t) => {
  for (const mutation of ["createDailySpend", "updateDailySpend", "deleteDailySpend", "updatePlatformDailySpend"]) {
    const [[code]] = await admin.client.errors(`mutation { ${mutation}(input: {}) { clientMutationId } }`);
    t.is(code, "GRAPHQL_VALIDATION_FAILED", mutation);
  }
});

test("an admin's check finds the rollups exact; operators and users may not run it", async (t) => {
  t.deepEqual((await admin.client.data(DISCREPANCIES)).spendRollupDiscrepancies.nodes, []);
  for (const client of [operator.client, alice.owner.client]) {
    t.deepEqual((await client.errors(DISCREPANCIES)).map(([code]) => code), ["SGDNY"]);
  }
  // A rollup changed behind the trigger's back is reported, key by key.
  await ctx.db.ownerPool.query("update app_public.daily_spend set actual_cost = actual_cost + 1 where user_id = $1 and agent_id = 'writer'", [alice.owner.userId]);
  try {
    const { nodes } = (await admin.client.data(DISCREPANCIES)).spendRollupDiscrepancies;
    t.deepEqual(nodes.map((n: any) => [n.rollup, n.key.agentId, n.expected.actualCost, n.stored.actualCost]), [["daily_spend", "writer", 0.75, 1.75]]);
  } finally {
    await ctx.db.ownerPool.query("update app_public.daily_spend set actual_cost = actual_cost - 1 where user_id = $1 and agent_id = 'writer'", [alice.owner.userId]);
  }
});

test("the README's rollup examples run as written, as the role each names", async (t) => {
  const readme = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const blocks = [...readme.matchAll(/^```graphql rollups as=(\w+)\n([\s\S]*?)^```$/gm)];
  t.is(blocks.length, 3);
  const clients: Record<string, ApiClient> = { user: alice.owner.client, operator: operator.client, admin: admin.client };
  for (const [, as, query] of blocks) {
    const response = await clients[as!]!.post(query!);
    t.is(response.status, 200, query);
    t.deepEqual(response.body.errors, undefined, query);
  }
});
