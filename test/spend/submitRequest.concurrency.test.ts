// The promise of submitRequest: no number of concurrent calls can spend past a limit. Hundreds of
// submissions are fired at once through HTTP, then the books are checked to the last decimal.
import test from "ava";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { createBudget, createProject, createUser } from "../helpers/fixtures.ts";
import { budgetRow, submit, userRow, type RequestResult } from "./support.ts";

let db: TestDatabase;
let gw: TestGateway;

test.before(async () => {
  db = await createTestDatabase();
  gw = await startTestGateway(db, { DB_POOL_MAX: "20" });
});
test.after.always(async () => {
  await gw?.close();
  await db?.drop();
});

/** Exact decimal arithmetic on 8-decimal strings, in units of 1e-8. */
const toUnits = (amount: string) => {
  const [whole, fraction = ""] = amount.split(".");
  return BigInt(whole!) * 100_000_000n + BigInt(fraction.padEnd(8, "0").slice(0, 8));
};
const sumUnits = (requests: RequestResult[]) => requests.reduce((total, r) => total + toUnits(r.reservedCost), 0n);

test("250 concurrent submissions on one shared budget never approve more than any limit, and the counters equal the approved reservations exactly", async (t) => {
  const userId = await createUser(db.ownerPool, { balance: "1000" });
  const projectId = await createProject(db.ownerPool, userId);
  // Two budgets apply to every call: the project's (daily 50) and the user-wide one (daily 40,
  // the tighter), plus a monthly limit that is tighter still on the project budget.
  const projectBudget = await createBudget(db.ownerPool, userId, { projectId, daily: "50", monthly: "37.5" });
  const userBudget = await createBudget(db.ownerPool, userId, { daily: "40" });
  const headers = await gw.as(userId);

  const costs = Array.from({ length: 250 }, (_, i) => `0.${String(((i * 37) % 90) + 10).padStart(2, "0")}3`); // 0.103 .. 0.993
  const results = await Promise.all(costs.map((estimatedCost, i) => submit(gw, headers, { projectId, agentId: `agent-${i % 7}`, estimatedCost })));

  const approved = results.filter((r) => r.status === "approved");
  const rejected = results.filter((r) => r.status === "rejected");
  t.is(approved.length + rejected.length, 250, "every submission is either approved or rejected (no approval threshold set)");
  t.true(rejected.length > 0, "the limits must bite");
  t.true(rejected.every((r) => r.reservedCost === "0.00000000" && r.reason === "budget_monthly_exceeded"));

  const approvedTotal = sumUnits(approved);
  t.true(approvedTotal <= toUnits("37.5"), `approved ${approvedTotal} within the monthly limit of the project budget`);
  t.true(approvedTotal <= toUnits("40") && approvedTotal <= toUnits("50"), "approved total within both daily limits");
  // The budget was really filled up: a rejection happened only when the next cost did not fit.
  t.true(approvedTotal > toUnits("37.5") - toUnits("0.993"), "the budget is used up to less than one request's cost");
  t.true(approved.every((r) => r.reservedCost === r.estimatedCost));

  for (const id of [projectBudget, userBudget]) {
    const row = await budgetRow(db, id);
    t.is(toUnits(row.daily), approvedTotal, "current_daily_spending == sum of approved reservations");
    t.is(toUnits(row.reserved), approvedTotal);
  }
  t.is(toUnits((await budgetRow(db, projectBudget)).monthly), approvedTotal);
  t.is(toUnits((await userRow(db, userId)).reserved), approvedTotal, "the balance reserves the same amount");
  const { rows } = await db.ownerPool.query("select count(*)::int as n from app_public.requests where user_id = $1", [userId]);
  t.is(rows[0].n, 250, "every submission, rejected ones included, is recorded");
});

test("240 concurrent submissions from 20 users on 20 budgets keep every budget within its limit", async (t) => {
  const users = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const userId = await createUser(db.ownerPool, { balance: i % 5 === 0 ? "2" : "100" });
      const budgetId = await createBudget(db.ownerPool, userId, { daily: `${3 + (i % 4)}` });
      return { userId, budgetId, headers: await gw.as(userId), daily: `${3 + (i % 4)}`, balance: i % 5 === 0 ? "2" : "100" };
    }),
  );
  const calls = users.flatMap((user) => Array.from({ length: 12 }, (_, j) => ({ user, estimatedCost: `0.${50 + j * 3}` })));
  const results = await Promise.all(calls.map(({ user, estimatedCost }) => submit(gw, user.headers, { estimatedCost }).then((r) => ({ user, r }))));

  for (const user of users) {
    const mine = results.filter((x) => x.user === user).map((x) => x.r);
    const approved = mine.filter((r) => r.status === "approved");
    const total = sumUnits(approved);
    t.true(total <= toUnits(user.daily), `user within daily limit ${user.daily}`);
    t.true(total <= toUnits(user.balance), `user within balance ${user.balance}`);
    t.true(mine.some((r) => r.status === "rejected"), "every user hits a limit");
    t.is(toUnits((await budgetRow(db, user.budgetId)).daily), total);
    t.is(toUnits((await userRow(db, user.userId)).reserved), total);
  }
  const reasons = new Set(results.map((x) => x.r.reason).filter(Boolean));
  t.deepEqual([...reasons].sort(), ["budget_daily_exceeded", "insufficient_balance"]);
});
