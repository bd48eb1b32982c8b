// Budgets in their own time zone: the daily spending restarts at the team's midnight, the monthly
// period on the 1st there; reset_budgets stays set-based and catches up. Through HTTP, with the
// reset run at chosen timestamps (the clock), never waiting.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, promote, register, type Account } from "./client.ts";
import { agent, submit } from "./spendAgent.ts";

let operator: Account;
const ctx = useTestGateway({}, async ({ db, gateway }) => {
  const admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
  operator = await promote(admin, await register(gateway.url), "operator");
});
const READ = "query($id: UUID!) { budget(budgetId: $id) { timeZone dailyPeriodStart periodStart periodEnd currentDailySpending budgetStatus { dailyResetsAt monthlyResetsAt } } }";
const iso = (value: string) => new Date(value).toISOString();
/** The next midnight in a zone with a fixed offset (minutes east of UTC), as UTC. */
function nextLocalMidnight(offsetMinutes: number, from = new Date()): string {
  const local = new Date(from.getTime() + offsetMinutes * 60_000);
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1) - offsetMinutes * 60_000).toISOString();
}

test("a budget in Asia/Kolkata starts its day and month at midnight there, and budgetStatus says when it resets", async (t) => {
  const a = await agent(ctx.gateway.url, operator, { budget: { timeZone: "Asia/Kolkata" }, topUp: "10" });
  const { budget } = await a.key.data(READ, { id: a.budgetId });
  t.is(budget.timeZone, "Asia/Kolkata");
  t.is(iso(budget.budgetStatus.dailyResetsAt), nextLocalMidnight(330));
  t.is(iso(budget.dailyPeriodStart), new Date(Date.parse(nextLocalMidnight(330)) - 86_400_000).toISOString());
  t.regex(iso(budget.periodStart), /T18:30:00\.000Z$/, "the 1st of the month, 00:00 in India");
  const { request } = await a.key.data("query($id: UUID!) { request(requestId: $id) { decision { resetsAt } } }", {
    id: (await submit(a, { estimatedCost: "20" })).requestId,
  });
  t.is(iso(request.decision.resetsAt), nextLocalMidnight(330), "a rejection names the local reset");
});

test("an unknown time zone is refused with PostgreSQL's 22023", async (t) => {
  const owner = await register(ctx.gateway.url);
  const errors = await owner.client.errors('mutation { createBudget(input: {budget: {dailyLimit: "1", timeZone: "Mars/Olympus_Mons"}}) { budget { budgetId } } }');
  t.deepEqual(errors.map(([code]) => code), ["22023"]);
});

test("reset_budgets restarts a day at the budget's local midnight, months on the local 1st, and catches up missed ones", async (t) => {
  const a = await agent(ctx.gateway.url, operator, { budget: { timeZone: "America/New_York" }, topUp: "10" });
  const done = await submit(a, { estimatedCost: "1" });
  await a.key.data('mutation($id: UUID!) { completeRequest(input: {requestId: $id, actualCost: "1"}) { request { status } } }', { id: done.requestId });
  // The budget's day and month as of 2026-03-07 in New York (EST, UTC-5), set as the owner.
  await ctx.db.ownerPool.query(
    "update app_public.budgets set daily_period_start = '2026-03-07T05:00:00Z', period_start = '2026-03-01T05:00:00Z', period_end = '2026-04-01T04:00:00Z' where id = $1",
    [a.budgetId],
  );
  const reset = (at: string) => ctx.db.ownerPool.query("select app_private.reset_budgets($1::timestamptz)", [at]);
  await reset("2026-03-08T04:59:59Z");
  t.like((await a.key.data(READ, { id: a.budgetId })).budget, { currentDailySpending: "1.00000000" }, "a second before midnight in New York");
  await reset("2026-03-08T05:00:00Z");
  let { budget } = await a.key.data(READ, { id: a.budgetId });
  t.like(budget, { currentDailySpending: "0.00000000" });
  t.is(iso(budget.dailyPeriodStart), "2026-03-08T05:00:00.000Z");
  // 2026-03-08 is 23 hours long there (DST starts): the next day begins at 04:00 UTC.
  await reset("2026-03-09T03:59:59Z");
  t.is(iso((await a.key.data(READ, { id: a.budgetId })).budget.dailyPeriodStart), "2026-03-08T05:00:00.000Z");
  // Weeks later, one run catches up the missed days and the month.
  await reset("2026-04-20T12:00:00Z");
  ({ budget } = await a.key.data(READ, { id: a.budgetId }));
  t.deepEqual([budget.dailyPeriodStart, budget.periodStart, budget.periodEnd].map(iso), [
    "2026-04-20T04:00:00.000Z", "2026-04-01T04:00:00.000Z", "2026-05-01T04:00:00.000Z",
  ]);
});
