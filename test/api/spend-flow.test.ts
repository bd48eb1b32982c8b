// The product's central job, as its clients meet it: from an empty database, only through HTTP.
// A user registers, sets up a project, a budget (limits only) and a policy, gives an agent an API
// key and tops up the balance (recordPayment, completed by an operator); the agent asks before
// each paid call (submitRequest: approved, pending, or rejected for each documented reason) and
// settles it (start / complete / fail / cancel); operators decide pending requests; everyone
// reads sums that mean what they say. The one step no client can do, the first admin, is the
// documented `npm run user:create`.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, createApiKey, login, promote, register, type Account, type ApiClient } from "./client.ts";

let admin: Account;
let operator: Account;
const ctx = useTestGateway({}, async ({ db, gateway }) => {
  admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
  operator = await promote(admin, await register(gateway.url), "operator");
});

const SUBMIT = `mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { request { requestId status reason reservedCost outstandingCost settledCost } } }`;
const REQUEST_FIELDS = "requestId status reason estimatedCost reservedCost actualCost outstandingCost settledCost";

interface Agent {
  owner: Account;
  projectId: string;
  budgetId: string;
  policyId: string;
  /** The agent: sends X-API-Key. */
  key: ApiClient;
}

/** A user with a project, a budget, a policy, an API key and (optionally) a completed top-up. */
async function agent(options: { budget?: Record<string, unknown>; policy?: Record<string, unknown>; topUp?: string } = {}): Promise<Agent> {
  const owner = await register(ctx.gateway.url);
  const { createProject } = await owner.client.data('mutation { createProject(input: {project: {name: "research"}}) { project { projectId } } }');
  const projectId = createProject.project.projectId;
  const { createBudget } = await owner.client.data("mutation($b: BudgetInput!) { createBudget(input: {budget: $b}) { budget { budgetId } } }", {
    b: { projectId, dailyLimit: "10", monthlyLimit: "100", ...options.budget },
  });
  const { createPolicy } = await owner.client.data("mutation($p: PolicyInput!) { createPolicy(input: {policy: $p}) { policy { policyId } } }", {
    p: { projectId, ...options.policy },
  });
  const key = await createApiKey(owner, "agent");
  if (options.topUp) await topUp(owner, options.topUp);
  return { owner, projectId, budgetId: createBudget.budget.budgetId, policyId: createPolicy.policy.policyId, key: key.client };
}

async function topUp(owner: Account, amount: string): Promise<void> {
  const { recordPayment } = await owner.client.data("mutation($a: BigFloat!) { recordPayment(input: {amount: $a, currency: \"USD\"}) { payment { paymentId status } } }", { a: amount });
  await operator.client.data("mutation($id: UUID!) { completePayment(input: {paymentId: $id}) { payment { status } } }", { id: recordPayment.payment.paymentId });
}

const call = (overrides: Record<string, unknown> = {}) => ({
  agentId: "research-bot", apiProvider: "openai", modelName: "gpt-4o", endpoint: "chat.completions", parameters: { max_tokens: 800 }, estimatedCost: "1", ...overrides,
});

async function submit(a: Agent, overrides: Record<string, unknown> = {}) {
  const { submitRequest } = await a.key.data(SUBMIT, { input: { projectId: a.projectId, ...call(overrides) } });
  return submitRequest.request;
}

async function me(client: ApiClient) {
  return (await client.data("{ currentUser { availableBalance reservedBalance totalSpending totalRequests } }")).currentUser;
}

test("a new user's whole flow: top-up completed by an operator, submit, settle; balance, budget and sums follow", async (t) => {
  const a = await agent();
  t.deepEqual(await me(a.key), { availableBalance: "0.00000000", reservedBalance: "0.00000000", totalSpending: "0.00000000", totalRequests: "0" });
  t.like(await submit(a), { status: "rejected", reason: "insufficient_balance", reservedCost: "0.00000000" }, "no balance yet");

  const { recordPayment } = await a.owner.client.data('mutation { recordPayment(input: {amount: "20", currency: "USD", network: "base", txHash: "0xabc"}) { payment { paymentId status creditedAmount } } }');
  t.like(recordPayment.payment, { status: "pending", creditedAmount: "0.00000000" });
  t.is((await me(a.key)).availableBalance, "0.00000000", "a pending payment moves nothing");
  t.deepEqual(await a.owner.client.errors("mutation($id: UUID!) { completePayment(input: {paymentId: $id}) { payment { status } } }", { id: recordPayment.payment.paymentId }), [
    ["SGOPR", "only operators and admins can move a payment to completed"],
  ]);
  const completed = await operator.client.data("mutation($id: UUID!) { completePayment(input: {paymentId: $id}) { payment { status creditedAmount } } }", { id: recordPayment.payment.paymentId });
  t.deepEqual(completed.completePayment.payment, { status: "completed", creditedAmount: "20.00000000" });
  t.is((await me(a.key)).availableBalance, "20.00000000");

  const request = await submit(a, { estimatedCost: "1.5" });
  t.like(request, { status: "approved", reason: null, reservedCost: "1.50000000", outstandingCost: "1.50000000", settledCost: "0.00000000" });
  t.like(await me(a.key), { availableBalance: "20.00000000", reservedBalance: "1.50000000" });
  const started = await a.key.data(`mutation($id: UUID!) { startRequest(input: {requestId: $id}) { request { status } } }`, { id: request.requestId });
  t.is(started.startRequest.request.status, "executing");
  const done = await a.key.data(`mutation($id: UUID!) { completeRequest(input: {requestId: $id, actualCost: "1.25"}) { request { ${REQUEST_FIELDS} } } }`, { id: request.requestId });
  t.like(done.completeRequest.request, { status: "executed", actualCost: "1.25000000", outstandingCost: "0.00000000", settledCost: "1.25000000" });
  t.deepEqual(await me(a.key), { availableBalance: "18.75000000", reservedBalance: "0.00000000", totalSpending: "1.25000000", totalRequests: "1" });

  const { budget } = await a.owner.client.data("query($id: UUID!) { budget(budgetId: $id) { budgetStatus { dailySpent dailyRemaining dailyPercentUsed monthlyRemaining reserved } } }", { id: a.budgetId });
  t.deepEqual(budget.budgetStatus, { dailySpent: "1.25000000", dailyRemaining: "8.75000000", dailyPercentUsed: "12.50", monthlyRemaining: "98.75000000", reserved: "0.00000000" });
  t.deepEqual(await a.key.errors(`mutation($id: UUID!) { completeRequest(input: {requestId: $id, actualCost: "1"}) { request { status } } }`, { id: request.requestId }), [
    ["SGTRN", `cannot move request ${request.requestId} from executed to executed`],
  ]);
});

test("above require_approval_above a request waits for an operator, who approves or rejects it; users may not decide", async (t) => {
  const a = await agent({ policy: { requireApprovalAbove: "2" }, topUp: "50" });
  const big = await submit(a, { estimatedCost: "5" });
  t.like(big, { status: "pending", outstandingCost: "5.00000000" });
  t.deepEqual(await a.owner.client.errors("mutation($id: UUID!) { approveRequest(input: {requestId: $id}) { request { status } } }", { id: big.requestId }), [
    ["SGOPR", "only operators and admins can move a request to approved"],
  ]);
  const approved = await operator.client.data("mutation($id: UUID!) { approveRequest(input: {requestId: $id}) { request { status decidedBy } } }", { id: big.requestId });
  t.deepEqual(approved.approveRequest.request, { status: "approved", decidedBy: operator.userId });
  const done = await a.key.data(`mutation($id: UUID!) { completeRequest(input: {requestId: $id, actualCost: "4"}) { request { status settledCost } } }`, { id: big.requestId });
  t.deepEqual(done.completeRequest.request, { status: "executed", settledCost: "4.00000000" });

  const other = await submit(a, { estimatedCost: "3" });
  t.is(other.status, "pending");
  const rejected = await operator.client.data(`mutation($id: UUID!) { rejectRequest(input: {requestId: $id}) { request { ${REQUEST_FIELDS} } } }`, { id: other.requestId });
  t.like(rejected.rejectRequest.request, { status: "rejected", reason: "rejected_by_operator", outstandingCost: "0.00000000", settledCost: "0.00000000" });
  t.like(await me(a.key), { availableBalance: "46.00000000", reservedBalance: "0.00000000" }, "the rejected reservation is released");
  const small = await submit(a, { estimatedCost: "0.5" });
  t.is(small.status, "approved", "at or below the threshold no approval is needed");
});

test("fail and cancel release the reservation and cost nothing", async (t) => {
  const a = await agent({ topUp: "10" });
  const failing = await submit(a, { estimatedCost: "2" });
  await a.key.data("mutation($id: UUID!) { startRequest(input: {requestId: $id}) { request { status } } }", { id: failing.requestId });
  const failed = await a.key.data(`mutation($id: UUID!) { failRequest(input: {requestId: $id}) { request { ${REQUEST_FIELDS} } } }`, { id: failing.requestId });
  t.like(failed.failRequest.request, { status: "failed", outstandingCost: "0.00000000", settledCost: "0.00000000" });
  const cancelling = await submit(a, { estimatedCost: "3" });
  const cancelled = await a.key.data(`mutation($id: UUID!) { cancelRequest(input: {requestId: $id}) { request { ${REQUEST_FIELDS} } } }`, { id: cancelling.requestId });
  t.like(cancelled.cancelRequest.request, { status: "cancelled", outstandingCost: "0.00000000" });
  t.like(await me(a.key), { availableBalance: "10.00000000", reservedBalance: "0.00000000", totalSpending: "0.00000000" });
  const { budget } = await a.owner.client.data("query($id: UUID!) { budget(budgetId: $id) { budgetStatus { dailySpent reserved } } }", { id: a.budgetId });
  t.deepEqual(budget.budgetStatus, { dailySpent: "0.00000000", reserved: "0.00000000" });
});

test("every documented rejection reason is reachable through the API and reserves nothing", async (t) => {
  const cases: [string, Parameters<typeof agent>[0], Record<string, unknown>][] = [
    ["provider_not_allowed", { policy: { allowedProviders: ["anthropic"] }, topUp: "10" }, {}],
    ["model_not_allowed", { policy: { allowedModels: ["gpt-4o-mini"] }, topUp: "10" }, {}],
    ["operation_forbidden", { policy: { forbiddenOperations: ["images.*"] }, topUp: "10" }, { endpoint: "images.generate" }],
    ["per_request_limit_exceeded", { budget: { perRequestLimit: "0.5" }, topUp: "10" }, {}],
    ["budget_daily_exceeded", { budget: { dailyLimit: "0.5" }, topUp: "10" }, {}],
    ["budget_monthly_exceeded", { budget: { dailyLimit: null, monthlyLimit: "0.5" }, topUp: "10" }, {}],
    ["insufficient_balance", { topUp: "0.5" }, {}],
  ];
  for (const [reason, setup, overrides] of cases) {
    const a = await agent(setup);
    t.like(await submit(a, overrides), { status: "rejected", reason, reservedCost: "0.00000000", outstandingCost: "0.00000000" }, reason);
  }
  const limited = await agent({ policy: { rateLimits: { requests_per_minute: 1 } }, topUp: "10" });
  t.is((await submit(limited)).status, "approved");
  t.like(await submit(limited), { status: "rejected", reason: "rate_limited" });
});

test("account_inactive: a suspended account's agent is refused at the door (401 ACCOUNT_INACTIVE), before any request is recorded", async (t) => {
  // submit_request also rejects with account_inactive, for an account suspended between
  // authentication and the call; through HTTP the authentication already refuses it.
  const a = await agent({ topUp: "10" });
  await admin.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {accountStatus: suspended}}) { user { accountStatus } } }", { id: a.owner.userId });
  const response = await a.key.post(SUBMIT, { input: { projectId: a.projectId, ...call() } });
  t.is(response.status, 401);
  t.deepEqual(response.body.errors?.map((e) => e.extensions?.code), ["ACCOUNT_INACTIVE"]);
  const { requests } = await admin.client.data("query($u: UUID!) { requests(condition: {userId: $u}) { totalCount } }", { u: a.owner.userId });
  t.is(requests.totalCount, 0);
});

test("sums mean what users read: rejected requests contribute nothing, reserved and settled apart, per provider", async (t) => {
  const a = await agent({ policy: { allowedProviders: ["openai", "anthropic"] }, topUp: "10" });
  const settled = await submit(a, { estimatedCost: "1" });
  await a.key.data('mutation($id: UUID!) { completeRequest(input: {requestId: $id, actualCost: "0.75"}) { request { status } } }', { id: settled.requestId });
  await submit(a, { estimatedCost: "0.5", apiProvider: "anthropic" }); // stays reserved
  t.is((await submit(a, { apiProvider: "mistral", estimatedCost: "0.82" })).reason, "provider_not_allowed");
  t.is((await submit(a, { estimatedCost: "50" })).reason, "budget_daily_exceeded");

  const { requests, payments } = await a.owner.client.data(`{
    requests {
      aggregates { sum { estimatedCost outstandingCost settledCost } }
      groupedAggregates(groupBy: [API_PROVIDER]) { keys sum { outstandingCost settledCost } }
    }
    payments { aggregates { sum { amount creditedAmount } } }
  }`);
  t.deepEqual(requests.aggregates.sum, { estimatedCost: "52.32000000", outstandingCost: "0.50000000", settledCost: "0.75000000" });
  const byProvider = Object.fromEntries(requests.groupedAggregates.map((g: any) => [g.keys[0], g.sum]));
  t.deepEqual(byProvider, {
    openai: { outstandingCost: "0.00000000", settledCost: "0.75000000" },
    anthropic: { outstandingCost: "0.50000000", settledCost: "0.00000000" },
    mistral: { outstandingCost: "0.00000000", settledCost: "0.00000000" },
  });
  t.deepEqual(payments.aggregates.sum, { amount: "10.00000000", creditedAmount: "10.00000000" });
  // Operators read every user's sums; the user's own agent reads only its owner's.
  const all = await operator.client.data("query($u: UUID!) { requests(condition: {userId: $u}) { aggregates { sum { settledCost } } } }", { u: a.owner.userId });
  t.is(all.requests.aggregates.sum.settledCost, "0.75000000");
});

test("admins manage users and restore soft-deleted rows; operators read all but change no one's role", async (t) => {
  const a = await agent();
  const { deleteProject } = await a.owner.client.data("mutation($id: UUID!) { deleteProject(input: {projectId: $id}) { project { deletedAt } } }", { id: a.projectId });
  t.truthy(deleteProject.project.deletedAt);
  t.is((await a.owner.client.data("query($id: UUID!) { project(projectId: $id) { name } }", { id: a.projectId })).project, null);
  t.deepEqual((await a.owner.client.errors("mutation($id: UUID!) { updateProject(input: {projectId: $id, patch: {deletedAt: null}}) { project { name } } }", { id: a.projectId })).map(([code]) => code), ["SGNFD"]);
  const restored = await admin.client
    .with({ "x-include-deleted": "true" })
    .data("mutation($id: UUID!) { updateProject(input: {projectId: $id, patch: {deletedAt: null}}) { project { name deletedAt } } }", { id: a.projectId });
  t.deepEqual(restored.updateProject.project, { name: "research", deletedAt: null });
  t.is((await a.owner.client.data("query($id: UUID!) { project(projectId: $id) { name } }", { id: a.projectId })).project.name, "research");

  const { users } = await operator.client.data("query($u: UUID!) { users(condition: {userId: $u}) { nodes { email role } } }", { u: a.owner.userId });
  t.deepEqual(users.nodes, [{ email: a.owner.email, role: "user" }]);
  t.deepEqual((await operator.client.errors("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {role: admin}}) { user { role } } }", { id: a.owner.userId })).map(([code]) => code), ["SGCOL"]);
  await admin.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {tier: pro}}) { user { tier } } }", { id: a.owner.userId });
  t.is((await a.owner.client.data("{ currentUser { tier } }")).currentUser.tier, "pro");
  const deleted = await admin.client.data("mutation($id: UUID!) { deleteUser(input: {userId: $id}) { user { deletedAt } } }", { id: a.owner.userId });
  t.truthy(deleted.deleteUser.user.deletedAt);
  const refused = await a.key.post("{ currentUser { email } }");
  t.is(refused.status, 401, "deleting a user revokes its API keys");
  await t.throwsAsync(login(ctx.gateway.url, a.owner.email, a.owner.password));
});

test("operators decide recommendations (approveRecommendation); the user sees only approved ones", async (t) => {
  const a = await agent();
  const { createRecommendation } = await admin.client.data(
    'mutation($u: UUID!) { createRecommendation(input: {recommendation: {userId: $u, type: education, title: "Cap your daily spend"}}) { recommendation { recommendationId status } } }',
    { u: a.owner.userId },
  );
  const id = createRecommendation.recommendation.recommendationId;
  t.is(createRecommendation.recommendation.status, "pending");
  t.is((await a.owner.client.data("{ recommendations { totalCount } }")).recommendations.totalCount, 0, "not shown before approval");
  t.deepEqual((await a.owner.client.errors("mutation($id: UUID!) { approveRecommendation(input: {recommendationId: $id}) { recommendation { status } } }", { id })).map(([code]) => code), ["SGOPR"]);
  const approved = await operator.client.data("mutation($id: UUID!) { approveRecommendation(input: {recommendationId: $id}) { recommendation { status approvedBy } } }", { id });
  t.deepEqual(approved.approveRecommendation.recommendation, { status: "approved", approvedBy: operator.userId });
  t.is((await a.owner.client.data("{ recommendations { nodes { title } } }")).recommendations.nodes[0].title, "Cap your daily spend");
});
