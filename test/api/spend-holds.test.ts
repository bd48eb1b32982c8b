// Holds expire: an agent that submits and disappears never blocks its budget for longer than its
// hold. Through HTTP from an empty database; the expire_holds job runs as the crontab runs it,
// with the cron timestamp as the clock (never a sleep). expire_holds releases every expired hold
// of the database, so these tests run one after the other.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, promote, register, type Account } from "./client.ts";
import { agent, budgetStatus, inconsistencies, me, runExpireHolds, settle, submit } from "./spendAgent.ts";

let admin: Account;
let operator: Account;
const ctx = useTestGateway({}, async ({ db, gateway }) => {
  admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
  operator = await promote(admin, await register(gateway.url), "operator");
});
const newAgent = (options: Parameters<typeof agent>[2] = {}) => agent(ctx.gateway.url, operator, { topUp: "50", ...options });
const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;
const before = (iso: string, ms = 1) => new Date(Date.parse(iso) - ms);

test.serial("an agent that submits and disappears: at expiry its hold is released and the budget is whole again", async (t) => {
  const a = await newAgent();
  const request = await submit(a, { estimatedCost: "4", holdSeconds: 60 });
  t.like(request, { status: "approved", reservedCost: "4.00000000", outstandingCost: "4.00000000" });
  t.is(seconds(request.createdAt, request.holdExpiresAt), 60);
  t.deepEqual(await budgetStatus(a.key, a.budgetId), { dailySpent: "4.00000000", monthlySpent: "4.00000000", reserved: "4.00000000" });

  await runExpireHolds(ctx.db, before(request.holdExpiresAt));
  t.like(await me(a.key), { reservedBalance: "4.00000000" }, "a millisecond before its expiry the hold stands");

  await runExpireHolds(ctx.db, request.holdExpiresAt);
  const { request: expired } = await a.key.data("query($id: UUID!) { request(requestId: $id) { status reason outstandingCost settledCost } }", { id: request.requestId });
  t.deepEqual(expired, { status: "cancelled", reason: "hold_expired", outstandingCost: "0.00000000", settledCost: "0.00000000" });
  t.deepEqual(await me(a.key), { availableBalance: "50.00000000", reservedBalance: "0.00000000", totalSpending: "0.00000000", totalRequests: "0" });
  t.deepEqual(await budgetStatus(a.key, a.budgetId), { dailySpent: "0.00000000", monthlySpent: "0.00000000", reserved: "0.00000000" });

  await runExpireHolds(ctx.db, new Date(Date.parse(request.holdExpiresAt) + 3_600_000));
  t.deepEqual(await budgetStatus(a.key, a.budgetId), { dailySpent: "0.00000000", monthlySpent: "0.00000000", reserved: "0.00000000" }, "a second run changes nothing");
  t.deepEqual(await inconsistencies(ctx.db), []);
});

test.serial("a hold lasts the policy's holdSeconds (15 minutes by default); a request may ask for less, never more", async (t) => {
  const withDefault = await newAgent();
  const byDefault = await submit(withDefault);
  t.is(seconds(byDefault.createdAt, byDefault.holdExpiresAt), 900);

  const a = await newAgent({ policy: { holdSeconds: 120 } });
  const policyHold = await submit(a);
  t.is(seconds(policyHold.createdAt, policyHold.holdExpiresAt), 120);
  const capped = await submit(a, { holdSeconds: 86_400 });
  t.is(seconds(capped.createdAt, capped.holdExpiresAt), 120, "capped at the policy's hold");
  const shorter = await submit(a, { holdSeconds: 30 });
  t.is(seconds(shorter.createdAt, shorter.holdExpiresAt), 30);
  t.deepEqual(await a.key.errors("mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { request { status } } }", {
    input: { projectId: a.projectId, estimatedCost: "1", holdSeconds: 0 },
  }), [["SGHLD", "hold_seconds must be a positive number of seconds (got 0)"]]);
  const rejected = await submit(a, { estimatedCost: "500" });
  t.like(rejected, { status: "rejected", holdExpiresAt: null }, "a rejected request holds nothing, so nothing expires");
  t.deepEqual(await a.owner.client.errors("mutation($id: UUID!) { updatePolicy(input: {policyId: $id, patch: {holdSeconds: 0}}) { policy { holdSeconds } } }", { id: a.policyId }).then((errors) => errors.map(([code]) => code)), ["23514"]);
});

test.serial("a completion after expiry still records and charges the actual cost, and is flagged when it pushed spending past a limit", async (t) => {
  const a = await newAgent({ budget: { dailyLimit: "10" }, topUp: "12" });
  const late = await submit(a, { estimatedCost: "6", holdSeconds: 60 });
  await runExpireHolds(ctx.db, late.holdExpiresAt);
  const meanwhile = await submit(a, { estimatedCost: "8" });
  t.is(meanwhile.status, "approved", "the released hold no longer blocks the budget");

  // The call cost more than estimated, and more than the balance holds: all of it is recorded.
  const completed = await settle(a.key, "completeRequest", late.requestId, ', actualCost: "13"');
  t.like(completed, { status: "executed", reason: "hold_expired", actualCost: "13.00000000", settledCost: "13.00000000", overLimit: true, uncoveredCost: "1.00000000" });
  t.deepEqual(await budgetStatus(a.key, a.budgetId), { dailySpent: "21.00000000", monthlySpent: "21.00000000", reserved: "8.00000000" }, "the daily limit is passed, visibly");
  t.deepEqual(await me(a.key), { availableBalance: "0.00000000", reservedBalance: "8.00000000", totalSpending: "13.00000000", totalRequests: "1" });
  t.like(await submit(a, { estimatedCost: "0.5" }), { status: "rejected", reason: "budget_daily_exceeded" });

  const fine = await newAgent();
  const small = await submit(fine, { estimatedCost: "1", holdSeconds: 1 });
  await runExpireHolds(ctx.db, small.holdExpiresAt);
  t.like(await settle(fine.key, "completeRequest", small.requestId, ', actualCost: "0.5"'), { status: "executed", overLimit: false, uncoveredCost: "0.00000000" });
  const failing = await submit(fine, { estimatedCost: "1", holdSeconds: 1 });
  await runExpireHolds(ctx.db, failing.holdExpiresAt);
  t.like(await settle(fine.key, "failRequest", failing.requestId), { status: "failed", settledCost: "0.00000000" });
  t.like(await me(fine.key), { availableBalance: "49.50000000", reservedBalance: "0.00000000" });
  t.deepEqual(await inconsistencies(ctx.db), []);
});

test.serial("pending and executing requests expire too; an operator cannot approve an expired one", async (t) => {
  const a = await newAgent({ policy: { requireApprovalAbove: "2" } });
  const pending = await submit(a, { estimatedCost: "3", holdSeconds: 60 });
  const executing = await submit(a, { estimatedCost: "1", holdSeconds: 60 });
  await settle(a.key, "startRequest", executing.requestId);
  await runExpireHolds(ctx.db, pending.holdExpiresAt > executing.holdExpiresAt ? pending.holdExpiresAt : executing.holdExpiresAt);
  const { requests } = await a.owner.client.data("{ requests(orderBy: CREATED_AT_ASC) { nodes { status reason } } }");
  t.deepEqual(requests.nodes, [{ status: "cancelled", reason: "hold_expired" }, { status: "cancelled", reason: "hold_expired" }]);
  t.deepEqual((await operator.client.errors("mutation($id: UUID!) { approveRequest(input: {requestId: $id}) { request { status } } }", { id: pending.requestId })).map(([code]) => code), ["SGTRN"]);
  t.like(await me(a.key), { reservedBalance: "0.00000000" });
});

test("the crontab runs expire_holds every minute", async (t) => {
  const { crontab } = await import("../../src/worker/crontab.ts");
  t.regex(crontab, /^\* \* \* \* \* expire_holds\b/m);
});
