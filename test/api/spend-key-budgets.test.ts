// Budgets where agents need them: a budget for one API key limits that key's agent only, checked
// with the project's and the user-wide budgets in the same atomic step; the lowest remaining
// limit wins and is named. Through HTTP from an empty database.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, createApiKey, promote, register, type Account } from "./client.ts";
import { agent, inconsistencies, submit } from "./spendAgent.ts";

let operator: Account;
const ctx = useTestGateway({}, async ({ db, gateway }) => {
  const admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
  operator = await promote(admin, await register(gateway.url), "operator");
});
const CREATE = "mutation($b: BudgetInput!) { createBudget(input: {budget: $b}) { budget { budgetId apiKeyId } } }";
const DECISION = "query($id: UUID!) { request(requestId: $id) { reason decision { scope budgetId apiKeyId limit used } } }";

test("a budget for one API key limits that key's agent only; the owner's other keys and token are not limited by it", async (t) => {
  const a = await agent(ctx.gateway.url, operator, { topUp: "50" });
  const { createBudget } = await a.owner.client.data(CREATE, { b: { apiKeyId: a.apiKeyId, dailyLimit: "2" } });
  t.is(createBudget.budget.apiKeyId, a.apiKeyId);
  t.is((await submit(a, { estimatedCost: "1.5" })).status, "approved");
  const refused = await submit(a, { estimatedCost: "1" });
  t.like(refused, { status: "rejected", reason: "budget_daily_exceeded" });
  const { request } = await a.key.data(DECISION, { id: refused.requestId });
  t.like(request.decision, { scope: "budget", budgetId: createBudget.budget.budgetId, apiKeyId: a.apiKeyId, limit: "2.00000000", used: "1.50000000" });

  const otherKey = await createApiKey(a.owner, "second agent");
  t.is((await submit(a, { estimatedCost: "1" }, otherKey.client)).status, "approved", "another key of the same user");
  t.is((await submit(a, { estimatedCost: "1" }, a.owner.client)).status, "approved", "the owner's own token");
  t.deepEqual(await inconsistencies(ctx.db), []);
});

test("the lowest remaining limit wins: the project's budget can stop a key whose own budget has room", async (t) => {
  const a = await agent(ctx.gateway.url, operator, { budget: { dailyLimit: "3" }, topUp: "50" });
  await a.owner.client.data(CREATE, { b: { apiKeyId: a.apiKeyId, projectId: a.projectId, dailyLimit: "5" } });
  await submit(a, { estimatedCost: "2.5" });
  const refused = await submit(a, { estimatedCost: "1" });
  const { request } = await a.key.data(DECISION, { id: refused.requestId });
  t.like(request, { reason: "budget_daily_exceeded", decision: { budgetId: a.budgetId, apiKeyId: null, limit: "3.00000000" } });
});

test("a budget can only name one of its owner's own keys (SGKEY)", async (t) => {
  const a = await agent(ctx.gateway.url, operator);
  const stranger = await register(ctx.gateway.url);
  t.deepEqual((await stranger.client.errors(CREATE, { b: { apiKeyId: a.apiKeyId, dailyLimit: "1" } })).map(([code]) => code), ["SGKEY"]);
  t.deepEqual((await a.owner.client.errors(CREATE, { b: { apiKeyId: "999999", dailyLimit: "1" } })).map(([code]) => code), ["SGKEY"]);
});
