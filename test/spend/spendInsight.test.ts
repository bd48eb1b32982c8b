// What clients read about spend: Budget.budgetStatus, grouped aggregates of requests, payments
// and budgets through HTTP, and the NOTIFY sent when a budget crosses 80% and 100%.
import test from "ava";
import pg from "pg";
import { useTestGateway } from "../helpers/gateway.ts";
import { createBudget, createProject, createUser } from "../helpers/fixtures.ts";
import { lifecycle, submit } from "./support.ts";

const ctx = useTestGateway();

test("budgetStatus reports spending, remaining amounts and percentage used of the daily and monthly limits", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, { balance: "100" });
  const projectId = await createProject(ctx.db.ownerPool, userId);
  await createBudget(ctx.db.ownerPool, userId, { projectId, daily: "8", monthly: "40" });
  await createBudget(ctx.db.ownerPool, userId, { monthly: "10" }); // no daily limit
  const headers = await ctx.gateway.as(userId);
  const r = await submit(ctx.gateway, headers, { projectId, estimatedCost: "3" });
  await lifecycle(ctx.gateway, headers, "completeRequest", { requestId: r.requestId, actualCost: "2" });
  await submit(ctx.gateway, headers, { projectId, estimatedCost: "1" });

  const response = await ctx.gateway.graphql(
    `{ budgets(orderBy: PROJECT_ID_ASC) { nodes { projectId budgetStatus {
        dailySpent dailyRemaining dailyPercentUsed monthlySpent monthlyRemaining monthlyPercentUsed reserved dailyResetsAt monthlyResetsAt
      } } } }`,
    {},
    headers,
  );
  t.falsy(response.body.errors);
  const nodes = response.body.data.budgets.nodes as { projectId: string | null; budgetStatus: Record<string, string | null> }[];
  const project = nodes.find((n) => n.projectId === projectId)!.budgetStatus;
  const userWide = nodes.find((n) => n.projectId === null)!.budgetStatus;
  t.like(project, {
    dailySpent: "3.00000000", dailyRemaining: "5.00000000", dailyPercentUsed: "37.50",
    monthlySpent: "3.00000000", monthlyRemaining: "37.00000000", monthlyPercentUsed: "7.50", reserved: "1.00000000",
  });
  t.like(userWide, { dailyRemaining: null, dailyPercentUsed: null, monthlyRemaining: "7.00000000", monthlyPercentUsed: "30.00" });
  const tomorrow = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1));
  t.is(new Date(project.dailyResetsAt!).getTime(), tomorrow.getTime());
});

test("budgetStatus shows a day that ended as already restarted, before the worker ran", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, { balance: "100" });
  const budgetId = await createBudget(ctx.db.ownerPool, userId, { daily: "10" });
  const headers = await ctx.gateway.as(userId);
  const r = await submit(ctx.gateway, headers, { estimatedCost: "4" });
  await lifecycle(ctx.gateway, headers, "completeRequest", { requestId: r.requestId, actualCost: "4" });
  await ctx.db.ownerPool.query("update app_public.budgets set daily_period_start = daily_period_start - interval '1 day' where id = $1", [budgetId]);
  const response = await ctx.gateway.graphql(`{ budgets { nodes { currentDailySpending budgetStatus { dailySpent dailyRemaining } } } }`, {}, headers);
  t.like(response.body.data.budgets.nodes[0], { currentDailySpending: "4.00000000", budgetStatus: { dailySpent: "0.00000000", dailyRemaining: "10.00000000" } });
});

test("groupedAggregates: spend by provider, model and day through HTTP, limited to the caller's own requests", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, { balance: "100" });
  const headers = await ctx.gateway.as(userId);
  const other = await createUser(ctx.db.ownerPool, { balance: "100" });
  await submit(ctx.gateway, await ctx.gateway.as(other), { apiProvider: "openai", estimatedCost: "50" }); // not mine
  for (const [apiProvider, modelName, estimatedCost] of [
    ["openai", "gpt-4o", "1.1"], ["openai", "gpt-4o-mini", "0.2"], ["anthropic", "claude", "2.5"], ["anthropic", "claude", "0.25"],
  ] as const) {
    await submit(ctx.gateway, headers, { apiProvider, modelName, estimatedCost });
  }
  const response = await ctx.gateway.graphql(
    `{ requests { aggregates { sum { estimatedCost } distinctCount { modelName } }
        groupedAggregates(groupBy: [API_PROVIDER]) { keys sum { estimatedCost } }
        byModel: groupedAggregates(groupBy: [API_PROVIDER, MODEL_NAME]) { keys sum { estimatedCost } }
        byDay: groupedAggregates(groupBy: [CREATED_AT_TRUNCATED_TO_DAY]) { keys sum { estimatedCost } } } }`,
    {},
    headers,
  );
  t.falsy(response.body.errors, JSON.stringify(response.body.errors));
  const requests = response.body.data.requests;
  t.is(requests.aggregates.sum.estimatedCost, "4.05000000");
  t.is(requests.aggregates.distinctCount.modelName, "3");
  const byProvider = Object.fromEntries(requests.groupedAggregates.map((g: { keys: string[]; sum: { estimatedCost: string } }) => [g.keys[0], g.sum.estimatedCost]));
  t.deepEqual(byProvider, { openai: "1.30000000", anthropic: "2.75000000" });
  t.is(requests.byModel.length, 3);
  t.is(requests.byDay.length, 1);
  t.is(requests.byDay[0].sum.estimatedCost, "4.05000000");
});

test("groupedAggregates on payments by currency and status, and on budgets by project", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, { balance: "0" });
  const projectId = await createProject(ctx.db.ownerPool, userId);
  await createBudget(ctx.db.ownerPool, userId, { projectId, daily: "5" });
  await createBudget(ctx.db.ownerPool, userId, { daily: "7" });
  const headers = await ctx.gateway.as(userId);
  for (const [amount, currency] of [["10", "USDC"], ["5.5", "USDC"], ["3", "EUR"]]) {
    const r = await ctx.gateway.graphql(`mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { paymentId } } }`, { input: { amount, currency } }, headers);
    t.truthy(r.body.data?.recordPayment.payment.paymentId);
  }
  const response = await ctx.gateway.graphql(
    `{ payments { groupedAggregates(groupBy: [CURRENCY, STATUS]) { keys sum { amount } } }
       budgets { groupedAggregates(groupBy: [PROJECT_ID]) { keys sum { dailyLimit } } } }`,
    {},
    headers,
  );
  t.falsy(response.body.errors, JSON.stringify(response.body.errors));
  const payments = Object.fromEntries(response.body.data.payments.groupedAggregates.map((g: { keys: string[]; sum: { amount: string } }) => [g.keys.join("/"), g.sum.amount]));
  t.deepEqual(payments, { "USDC/pending": "15.50000000", "EUR/pending": "3.00000000" });
  t.is(response.body.data.budgets.groupedAggregates.length, 2);
});

test("a NOTIFY on spendgate_budget_threshold is sent once when daily spending crosses 80% and once at 100%", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, { balance: "100" });
  const budgetId = await createBudget(ctx.db.ownerPool, userId, { daily: "10", monthly: "1000" });
  const headers = await ctx.gateway.as(userId);
  const listener = new pg.Client({ connectionString: ctx.db.ownerUrl });
  await listener.connect();
  const events: Record<string, unknown>[] = [];
  listener.on("notification", (message) => {
    const event = JSON.parse(message.payload!);
    if (event.budget_id === budgetId) events.push(event);
  });
  await listener.query("listen spendgate_budget_threshold");
  try {
    await submit(ctx.gateway, headers, { estimatedCost: "7.9" }); // 79%: nothing
    t.is(events.length, 0);
    await submit(ctx.gateway, headers, { estimatedCost: "0.1" }); // 80%: crossing
    await submit(ctx.gateway, headers, { estimatedCost: "1" }); // 90%: nothing new
    await submit(ctx.gateway, headers, { estimatedCost: "1" }); // 100%: crossing
    await submit(ctx.gateway, headers, { estimatedCost: "0.5" }); // rejected: nothing
    // A round trip on the listening connection delivers every notification committed before it.
    await listener.query("select 1");
    t.deepEqual(events.map((e) => [e.period, e.threshold, e.spent, e.limit]), [
      ["daily", 80, "8.00000000", "10.00000000"],
      ["daily", 100, "10.00000000", "10.00000000"],
    ]);
    t.like(events[0], { user_id: userId, project_id: null });
  } finally {
    await listener.end();
  }
});
