// Payments: a user records a top-up (pending); only an operator completing it moves the balance;
// failed or cancelled ones never do; a transaction hash is recorded once per network.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { createUser } from "../helpers/fixtures.ts";
import { errorCode, userRow } from "./support.ts";

let operator: Record<string, string>;
const ctx = useTestGateway({}, async ({ db, gateway: gw }) => {
  operator = await gw.as(await createUser(db.ownerPool, { role: "operator" }), "operator");
});

const PAYMENT = "paymentId status amount currency network txHash blockNumber userId";

function record(headers: Record<string, string>, input: Record<string, unknown>) {
  return ctx.gateway.graphql(`mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { ${PAYMENT} } } }`, { input }, headers);
}

function decide(headers: Record<string, string>, mutation: "completePayment" | "failPayment" | "cancelPayment", paymentId: string) {
  const type = `${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input`;
  return ctx.gateway.graphql(`mutation($input: ${type}!) { ${mutation}(input: $input) { payment { ${PAYMENT} } } }`, { input: { paymentId } }, headers);
}

test("a recorded top-up is pending and moves the balance only when an operator completes it, by the exact amount", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, { balance: "0" });
  const headers = await ctx.gateway.as(userId);
  const recorded = await record(headers, { amount: "12.34567891", currency: "USDC", network: "base", txHash: "0xabc1", blockNumber: "123456" });
  const payment = recorded.body.data?.recordPayment.payment;
  t.like(payment, { status: "pending", amount: "12.34567891", currency: "USDC", network: "base", txHash: "0xabc1", userId });
  t.like(await userRow(ctx.db, userId), { balance: "0.00000000" });

  const completed = await decide(operator, "completePayment", payment.paymentId);
  t.is(completed.body.data?.completePayment.payment.status, "completed");
  t.like(await userRow(ctx.db, userId), { balance: "12.34567891" });

  const again = await decide(operator, "completePayment", payment.paymentId);
  t.deepEqual(again.body, completed.body, "completing again answers the same and credits nothing more");
  t.like(await userRow(ctx.db, userId), { balance: "12.34567891" });
  t.is(errorCode(await decide(operator, "failPayment", payment.paymentId)), "SGTRN", "a completed payment cannot fail");
});

test("failed and cancelled payments never move the balance and are final", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, { balance: "5" });
  const headers = await ctx.gateway.as(userId);
  const a = (await record(headers, { amount: "10" })).body.data.recordPayment.payment;
  const b = (await record(headers, { amount: "20" })).body.data.recordPayment.payment;
  t.is((await decide(operator, "failPayment", a.paymentId)).body.data?.failPayment.payment.status, "failed");
  t.is((await decide(operator, "cancelPayment", b.paymentId)).body.data?.cancelPayment.payment.status, "cancelled");
  const late = await decide(operator, "completePayment", a.paymentId);
  t.is(errorCode(late), "SGTRN");
  t.regex(late.body.errors![0]!.message, /from failed to completed/);
  t.like(await userRow(ctx.db, userId), { balance: "5.00000000" });
});

test("only operators and admins decide on payments (SGOPR); an unknown payment is SGPMT", async (t) => {
  const userId = await createUser(ctx.db.ownerPool);
  const headers = await ctx.gateway.as(userId);
  const p = (await record(headers, { amount: "1" })).body.data.recordPayment.payment;
  for (const mutation of ["completePayment", "failPayment", "cancelPayment"] as const) {
    t.is(errorCode(await decide(headers, mutation, p.paymentId)), "SGOPR", mutation);
  }
  t.is(errorCode(await decide(operator, "completePayment", "00000000-0000-4000-8000-000000000000")), "SGPMT");
});

test("a transaction hash is recorded once per network (SGTXD); the same hash on another network is fine", async (t) => {
  const headers = await ctx.gateway.as(await createUser(ctx.db.ownerPool));
  t.truthy((await record(headers, { amount: "1", network: "base", txHash: "0xdup" })).body.data?.recordPayment);
  const dup = await record(headers, { amount: "2", network: "base", txHash: "0xdup" });
  t.is(errorCode(dup), "SGTXD");
  t.truthy((await record(headers, { amount: "1", network: "ethereum", txHash: "0xdup" })).body.data?.recordPayment);
});

test("amounts must be positive (SGCST) and anonymous callers cannot record payments", async (t) => {
  const headers = await ctx.gateway.as(await createUser(ctx.db.ownerPool));
  t.is(errorCode(await record(headers, { amount: "0" })), "SGCST");
  t.is(errorCode(await record(headers, { amount: "-3" })), "SGCST");
  const anonymous = await record({}, { amount: "1" });
  t.truthy(anonymous.body.errors?.length);
  t.falsy(anonymous.body.data?.recordPayment);
});

test("admins cannot change a payment's status through the generic updatePayment mutation", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, { balance: "0" });
  const p = (await record(await ctx.gateway.as(userId), { amount: "9" })).body.data.recordPayment.payment;
  const admin = await ctx.gateway.as(await createUser(ctx.db.ownerPool, { role: "admin" }), "admin");
  const response = await ctx.gateway.graphql(
    `mutation($id: UUID!) { updatePayment(input: { paymentId: $id, patch: { status: completed } }) { payment { status } } }`,
    { id: p.paymentId },
    admin,
  );
  t.regex(response.body.errors?.[0]?.message ?? "", /"status" is not defined by type "PaymentPatch"/, "status is not part of the patch");
  t.like(await userRow(ctx.db, userId), { balance: "0.00000000" });
});
