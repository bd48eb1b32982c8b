// Retries never double-charge: submitRequest with an idempotency key, and completeRequest,
// failRequest, cancelRequest, recordPayment (and the operator's decisions) repeated, give the
// first answer again and move no money twice; the same key with other parameters is SGIDK.
// Through HTTP from an empty database, for every role that submits.
import test from "ava";
import { randomUUID } from "node:crypto";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, promote, register, type Account } from "./client.ts";
import { agent, me, runExpireHolds, settle, submit, SUBMIT, call, type Agent } from "./spendAgent.ts";

let admin: Account;
let operator: Account;
const ctx = useTestGateway({ DB_POOL_MAX: "20" }, async ({ db, gateway }) => {
  admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
  operator = await promote(admin, await register(gateway.url), "operator");
});
const newAgent = (options: Parameters<typeof agent>[2] = {}) => agent(ctx.gateway.url, operator, { topUp: "50", ...options });

async function requestCount(a: Agent): Promise<number> {
  return (await a.owner.client.data("{ requests { totalCount } }")).requests.totalCount;
}

test("50 identical submissions arriving at once with one key make one request and one reservation", async (t) => {
  const a = await newAgent();
  const input = { projectId: a.projectId, ...call({ estimatedCost: "2.5" }), idempotencyKey: randomUUID() };
  const responses = await Promise.all(Array.from({ length: 50 }, () => a.key.post(SUBMIT, { input })));
  t.deepEqual(responses.filter((r) => r.body.errors).map((r) => r.body.errors), []);
  const requests = responses.map((r) => r.body.data.submitRequest.request);
  t.is(new Set(requests.map((r) => r.requestId)).size, 1, "every caller got the same request");
  t.true(requests.every((r) => r.status === "approved" && r.reservedCost === "2.50000000"));
  t.is(await requestCount(a), 1);
  t.like(await me(a.key), { reservedBalance: "2.50000000", availableBalance: "50.00000000" });
});

test("a retry returns the first request as it is now; the same key with other parameters is SGIDK; keys belong to their user", async (t) => {
  const a = await newAgent();
  const key = randomUUID();
  const first = await submit(a, { idempotencyKey: key, estimatedCost: "1" });
  await settle(a.key, "completeRequest", first.requestId, ', actualCost: "0.8"');
  const retry = await submit(a, { idempotencyKey: key, estimatedCost: "1" });
  t.like(retry, { requestId: first.requestId, status: "executed", actualCost: "0.80000000" });
  t.like(await me(a.key), { availableBalance: "49.20000000", reservedBalance: "0.00000000" }, "no second reservation");

  const conflict = await a.key.errors(SUBMIT, { input: { projectId: a.projectId, ...call({ estimatedCost: "2" }), idempotencyKey: key } });
  t.deepEqual(conflict.map(([code]) => code), ["SGIDK"]);
  t.is(await requestCount(a), 1);

  const other = await newAgent();
  const theirs = await submit(other, { idempotencyKey: key, estimatedCost: "1" });
  t.not(theirs.requestId, first.requestId, "another user's key is another key");

  // After 24 hours the key is free again (time moved by dating the first request back).
  const client = await ctx.db.ownerPool.connect();
  try {
    await client.query("begin");
    await client.query("set local session_replication_role = replica"); // the timestamps trigger keeps created_at otherwise
    await client.query("update app_public.requests set created_at = created_at - interval '25 hours' where request_id = $1", [first.requestId]);
    await client.query("commit");
  } finally {
    client.release();
  }
  const later = await submit(a, { idempotencyKey: key, estimatedCost: "2" });
  t.not(later.requestId, first.requestId);
  t.is(later.status, "approved");
});

test("every role that submits gets idempotency: a user's token, an API key, an operator, an admin", async (t) => {
  for (const [who, account] of [["operator", operator], ["admin", admin]] as const) {
    const { createProject } = await account.client.data(`mutation { createProject(input: {project: {name: "p-${randomUUID()}"}}) { project { projectId } } }`);
    const input = { projectId: createProject.project.projectId, ...call({ estimatedCost: "0" }), idempotencyKey: "same" };
    const [one, two] = [await account.client.data(SUBMIT, { input }), await account.client.data(SUBMIT, { input })];
    t.is(one.submitRequest.request.requestId, two.submitRequest.request.requestId, who);
  }
  const a = await newAgent();
  const byKey = await submit(a, { idempotencyKey: "k1" });
  const byToken = await submit(a, { idempotencyKey: "k1" }, a.owner.client);
  t.is(byToken.requestId, byKey.requestId, "the agent's key and its owner's token are the same caller");
});

test("completeRequest, failRequest and cancelRequest repeated give the same answer; a conflicting completion is SGTRN", async (t) => {
  const a = await newAgent();
  const done = await submit(a, { estimatedCost: "2" });
  const first = await settle(a.key, "completeRequest", done.requestId, ', actualCost: "1.5"');
  t.deepEqual(await settle(a.key, "completeRequest", done.requestId, ', actualCost: "1.50"'), first);
  t.deepEqual((await a.key.errors('mutation($id: UUID!) { completeRequest(input: {requestId: $id, actualCost: "3"}) { request { status } } }', { id: done.requestId })).map(([code]) => code), ["SGTRN"]);
  t.like(await me(a.key), { availableBalance: "48.50000000", totalSpending: "1.50000000", totalRequests: "1" }, "charged once");

  for (const mutation of ["failRequest", "cancelRequest"]) {
    const request = await submit(a, { estimatedCost: "1" });
    const once = await settle(a.key, mutation, request.requestId);
    t.deepEqual(await settle(a.key, mutation, request.requestId), once, mutation);
  }
  const expiring = await submit(a, { estimatedCost: "1", holdSeconds: 1 });
  await runExpireHolds(ctx.db, expiring.holdExpiresAt);
  t.like(await settle(a.key, "cancelRequest", expiring.requestId), { status: "cancelled", reason: "hold_expired" }, "cancelling an expired hold is already done");
  t.like(await me(a.key), { availableBalance: "48.50000000", reservedBalance: "0.00000000" });

  const pending = await newAgent({ policy: { requireApprovalAbove: "1" } });
  const big = await submit(pending, { estimatedCost: "3" });
  const approve = `mutation($id: UUID!) { approveRequest(input: {requestId: $id}) { request { status decidedAt } } }`;
  const approved = await operator.client.data(approve, { id: big.requestId });
  t.deepEqual(await operator.client.data(approve, { id: big.requestId }), approved, "an operator's repeated decision too");
});

test("recordPayment repeated (same transaction hash, or same idempotency key) records one payment; completing it twice credits once", async (t) => {
  const owner = await register(ctx.gateway.url);
  const record = `mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { paymentId status amount } } }`;
  const byKey = { amount: "10", idempotencyKey: randomUUID() };
  const first = (await owner.client.data(record, { input: byKey })).recordPayment.payment;
  t.deepEqual((await owner.client.data(record, { input: byKey })).recordPayment.payment, first);
  t.deepEqual((await owner.client.errors(record, { input: { ...byKey, amount: "11" } })).map(([code]) => code), ["SGIDK"]);

  const byHash = { amount: "5", network: "base", txHash: `0x${randomUUID().replaceAll("-", "")}` };
  const onChain = (await owner.client.data(record, { input: byHash })).recordPayment.payment;
  t.deepEqual((await owner.client.data(record, { input: byHash })).recordPayment.payment, onChain);
  t.deepEqual((await owner.client.errors(record, { input: { ...byHash, amount: "6" } })).map(([code]) => code), ["SGTXD"]);
  const intruder = await register(ctx.gateway.url);
  t.deepEqual((await intruder.client.errors(record, { input: byHash })).map(([code]) => code), ["SGTXD"], "another user's transaction stays theirs");

  const complete = "mutation($id: UUID!) { completePayment(input: {paymentId: $id}) { payment { status creditedAmount } } }";
  const completed = await operator.client.data(complete, { id: first.paymentId });
  t.deepEqual(await operator.client.data(complete, { id: first.paymentId }), completed);
  t.like(await me(owner.client), { availableBalance: "10.00000000" });
  t.is((await owner.client.data("{ payments { totalCount } }")).payments.totalCount, 2);
});
