// Decisions explain themselves: a rejected or pending request says what decided (a budget with
// its id and project, a policy with its id, the balance), the limit, what was used, what was
// asked for, when a period limit resets and when a rate-limited agent may retry; budgetStatus
// shows the live holds and the next reset. Through HTTP from an empty database.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, promote, register, type Account } from "./client.ts";
import { agent, call, submit } from "./spendAgent.ts";

let operator: Account;
const ctx = useTestGateway({}, async ({ db, gateway }) => {
  const admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
  operator = await promote(admin, await register(gateway.url), "operator");
});
const newAgent = (options: Parameters<typeof agent>[2] = {}) => agent(ctx.gateway.url, operator, { topUp: "50", ...options });

const DECISION = "scope budgetId policyId projectId period limit used requested resetsAt retryAfterSeconds";
async function decide(a: Awaited<ReturnType<typeof newAgent>>, overrides: Record<string, unknown> = {}) {
  const request = await submit(a, overrides);
  const { request: read } = await a.key.data(`query($id: UUID!) { request(requestId: $id) { status reason decision { ${DECISION} } } }`, { id: request.requestId });
  return read;
}
const nextUtcMidnight = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)).toISOString();
};
const iso = (value: string | null) => (value === null ? null : new Date(value).toISOString());

test("a budget's daily limit names the budget, its project, limit, used, requested and when it resets", async (t) => {
  const a = await newAgent({ budget: { dailyLimit: "3" } });
  await submit(a, { estimatedCost: "2" });
  const rejected = await decide(a, { estimatedCost: "1.5" });
  t.like(rejected, { status: "rejected", reason: "budget_daily_exceeded" });
  t.deepEqual({ ...rejected.decision, resetsAt: iso(rejected.decision.resetsAt) }, {
    scope: "budget", budgetId: a.budgetId, policyId: null, projectId: a.projectId, period: "daily",
    limit: "3.00000000", used: "2.00000000", requested: "1.5", resetsAt: nextUtcMidnight(), retryAfterSeconds: null,
  });
});

test("of two budgets a limit refuses, the one with the least remaining decides (here the user-wide one)", async (t) => {
  const a = await newAgent({ budget: { dailyLimit: "5" } });
  const { createBudget } = await a.owner.client.data('mutation { createBudget(input: {budget: {dailyLimit: "2.5"}}) { budget { budgetId } } }');
  await submit(a, { estimatedCost: "2" });
  const { decision } = await decide(a, { estimatedCost: "4" });
  t.like(decision, { scope: "budget", budgetId: createBudget.budget.budgetId, projectId: null, limit: "2.50000000", used: "2.00000000" });
});

test("monthly and per-request limits, the balance, a policy's lists: each names what decided", async (t) => {
  const monthly = await newAgent({ budget: { dailyLimit: null, monthlyLimit: "1" } });
  const { budget } = await monthly.owner.client.data("query($id: UUID!) { budget(budgetId: $id) { periodEnd } }", { id: monthly.budgetId });
  const m = await decide(monthly, { estimatedCost: "2" });
  t.like(m.decision, { scope: "budget", period: "monthly", limit: "1.00000000", used: "0.00000000", requested: "2" });
  t.is(iso(m.decision.resetsAt), iso(budget.periodEnd));

  const perRequest = await decide(await newAgent({ budget: { perRequestLimit: "0.5" } }));
  t.like(perRequest.decision, { scope: "budget", period: "request", limit: "0.50000000", used: null, requested: "1", resetsAt: null });

  const poor = await decide(await newAgent({ topUp: "0.25" }));
  t.like(poor, { reason: "insufficient_balance", decision: { scope: "balance", limit: "0.25000000", used: "0.00000000", requested: "1", budgetId: null } });

  const listed = await newAgent({ policy: { allowedProviders: ["anthropic"] } });
  t.like(await decide(listed), { reason: "provider_not_allowed", decision: { scope: "policy", policyId: listed.policyId, projectId: listed.projectId, period: "provider" } });
});

test("a rate-limited request says when to retry; a pending one names the approval threshold; an approved one has no decision", async (t) => {
  const a = await newAgent({ policy: { rateLimits: { requests_per_minute: 2 }, requireApprovalAbove: "3" } });
  t.like(await decide(a), { status: "approved", decision: null });
  t.like(await decide(a, { estimatedCost: "4" }), {
    status: "pending", decision: { scope: "policy", policyId: a.policyId, period: "approval", limit: "3.00000000", requested: "4", retryAfterSeconds: null },
  });
  const limited = await decide(a);
  t.like(limited, { status: "rejected", reason: "rate_limited", decision: { scope: "policy", policyId: a.policyId, period: "minute", limit: "2", used: "2", requested: "1" } });
  t.true(limited.decision.retryAfterSeconds >= 1 && limited.decision.retryAfterSeconds <= 60, `retryAfterSeconds ${limited.decision.retryAfterSeconds}`);
});

test("a rate-limited submitRequest also carries a 429-style hint: Retry-After and extensions.retryAfterSeconds; other answers none", async (t) => {
  const a = await newAgent({ policy: { rateLimits: { requests_per_minute: 1 } } });
  const mutation = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { request { status reason decision { retryAfterSeconds } } } }";
  const send = () => a.key.post(mutation, { input: { projectId: a.projectId, ...call() } });
  const approved = await send();
  t.is(approved.body.data.submitRequest.request.status, "approved");
  t.is(approved.headers.get("retry-after"), null);
  t.is((approved.body as { extensions?: unknown }).extensions, undefined);

  const limited = await send();
  t.is(limited.status, 200, "the rejected request is recorded: the mutation succeeded");
  const { request } = limited.body.data.submitRequest;
  t.like(request, { status: "rejected", reason: "rate_limited" });
  const seconds = request.decision.retryAfterSeconds;
  t.true(seconds >= 1 && seconds <= 60);
  t.is(limited.headers.get("retry-after"), String(seconds));
  t.deepEqual((limited.body as { extensions?: unknown }).extensions, { retryAfterSeconds: seconds });
});

test("budgetStatus shows the live holds, when the first expires, and the next reset", async (t) => {
  const a = await newAgent();
  const query = "query($id: UUID!) { budget(budgetId: $id) { budgetStatus { liveHolds nextHoldExpiresAt nextResetAt dailyResetsAt reserved } } }";
  t.like((await a.key.data(query, { id: a.budgetId })).budget.budgetStatus, { liveHolds: 0, nextHoldExpiresAt: null, reserved: "0.00000000" });
  const first = await submit(a, { holdSeconds: 60 });
  await submit(a, { holdSeconds: 600 });
  const status = (await a.key.data(query, { id: a.budgetId })).budget.budgetStatus;
  t.like(status, { liveHolds: 2, reserved: "2.00000000" });
  t.is(iso(status.nextHoldExpiresAt), iso(first.holdExpiresAt));
  t.is(iso(status.nextResetAt), nextUtcMidnight(), "the daily reset comes before the monthly one");
});
