// The life of a request after submitRequest: operators decide on pending ones, owners run and
// settle them, every transition is checked in SQL, and the reserved money ends up where it belongs.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { createBudget, createPolicy, createProject, createUser } from "../helpers/fixtures.ts";
import { budgetRow, errorCode, lifecycle, submit, userRow } from "./support.ts";

let operatorHeaders: Record<string, string>;
let operatorId: string;
const ctx = useTestGateway({}, async ({ db, gateway: gw }) => {
  operatorId = await createUser(db.ownerPool, { role: "operator" });
  operatorHeaders = await gw.as(operatorId, "operator");
});

/** A user with a project, a project budget and a user-wide budget, both applying to requests. */
async function setup(balance = "100") {
  const userId = await createUser(ctx.db.ownerPool, { balance });
  const projectId = await createProject(ctx.db.ownerPool, userId);
  const projectBudget = await createBudget(ctx.db.ownerPool, userId, { projectId, daily: "20", monthly: "100" });
  const userBudget = await createBudget(ctx.db.ownerPool, userId, { daily: "30" });
  await createPolicy(ctx.db.ownerPool, userId, { projectId, requireApprovalAbove: "5" });
  return { userId, projectId, projectBudget, userBudget, headers: await ctx.gateway.as(userId) };
}

test("completeRequest with a lower actual cost refunds the difference and updates the user's totals", async (t) => {
  const s = await setup("100");
  const request = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "4.5" });
  t.is(request.status, "approved");
  const started = await lifecycle(ctx.gateway, s.headers, "startRequest", { requestId: request.requestId });
  t.is(started.body.data?.startRequest.request.status, "executing");
  const done = await lifecycle(ctx.gateway, s.headers, "completeRequest", { requestId: request.requestId, actualCost: "3.25" });
  t.like(done.body.data?.completeRequest.request, { status: "executed", actualCost: "3.25000000", reservedCost: "4.50000000" });
  for (const id of [s.projectBudget, s.userBudget]) t.like(await budgetRow(ctx.db, id), { daily: "3.25000000", reserved: "0.00000000" });
  t.like(await budgetRow(ctx.db, s.projectBudget), { monthly: "3.25000000" });
  const user = await userRow(ctx.db, s.userId);
  t.like(user, { balance: "96.75000000", reserved: "0.00000000", total_spending: "3.25000000", total_requests: 1 });
  t.truthy(user.last_request_at);
});

test("completeRequest with a higher actual cost charges the difference (approved -> executed directly)", async (t) => {
  const s = await setup("100");
  const a = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "2" });
  const b = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "1" });
  const done = await lifecycle(ctx.gateway, s.headers, "completeRequest", { requestId: a.requestId, actualCost: "2.12345678" });
  t.is(done.body.data?.completeRequest.request.status, "executed");
  // b is still reserved: 2.12345678 settled + 1 reserved.
  t.like(await budgetRow(ctx.db, s.projectBudget), { daily: "3.12345678", monthly: "3.12345678", reserved: "1.00000000" });
  t.like(await userRow(ctx.db, s.userId), { balance: "97.87654322", reserved: "1.00000000", total_spending: "2.12345678" });
  t.is(b.status, "approved");
});

test("an actual cost beyond the balance empties the balance but counts fully in spending", async (t) => {
  const s = await setup("3");
  const r = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "2" });
  await lifecycle(ctx.gateway, s.headers, "completeRequest", { requestId: r.requestId, actualCost: "4" });
  t.like(await userRow(ctx.db, s.userId), { balance: "0.00000000", total_spending: "4.00000000" });
  t.like(await budgetRow(ctx.db, s.projectBudget), { daily: "4.00000000" });
});

test("a pending request reserves until an operator approves it (kept) or rejects it (released)", async (t) => {
  const s = await setup();
  const big = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "6" });
  const big2 = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "7" });
  t.is(big.status, "pending");
  t.like(await budgetRow(ctx.db, s.projectBudget), { daily: "13.00000000", reserved: "13.00000000" });

  const approved = await lifecycle(ctx.gateway, operatorHeaders, "approveRequest", { requestId: big.requestId });
  t.like(approved.body.data?.approveRequest.request, { status: "approved", decidedBy: operatorId });
  t.like(await budgetRow(ctx.db, s.projectBudget), { daily: "13.00000000" });

  const rejected = await lifecycle(ctx.gateway, operatorHeaders, "rejectRequest", { requestId: big2.requestId, reason: "too_expensive" });
  t.like(rejected.body.data?.rejectRequest.request, { status: "rejected", reason: "too_expensive", decidedBy: operatorId });
  t.like(await budgetRow(ctx.db, s.projectBudget), { daily: "6.00000000", reserved: "6.00000000" });
  t.like(await budgetRow(ctx.db, s.userBudget), { daily: "6.00000000", reserved: "6.00000000" });
  t.like(await userRow(ctx.db, s.userId), { reserved: "6.00000000", balance: "100.00000000" });
});

test("only operators and admins can approve or reject: a user gets SGOPR, even for their own request", async (t) => {
  const s = await setup();
  const big = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "6" });
  for (const mutation of ["approveRequest", "rejectRequest"]) {
    const response = await lifecycle(ctx.gateway, s.headers, mutation, { requestId: big.requestId });
    t.is(errorCode(response), "SGOPR", mutation);
  }
  const adminId = await createUser(ctx.db.ownerPool, { role: "admin" });
  const byAdmin = await lifecycle(ctx.gateway, await ctx.gateway.as(adminId, "admin"), "approveRequest", { requestId: big.requestId });
  t.is(byAdmin.body.data?.approveRequest.request.status, "approved");
});

test("failRequest and cancelRequest release the whole reservation", async (t) => {
  const s = await setup();
  const a = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "3" });
  const b = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "4" });
  const c = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "5.5" }); // pending
  await lifecycle(ctx.gateway, s.headers, "startRequest", { requestId: a.requestId });
  t.is((await lifecycle(ctx.gateway, s.headers, "failRequest", { requestId: a.requestId })).body.data?.failRequest.request.status, "failed");
  t.is((await lifecycle(ctx.gateway, s.headers, "cancelRequest", { requestId: b.requestId })).body.data?.cancelRequest.request.status, "cancelled");
  t.is((await lifecycle(ctx.gateway, s.headers, "cancelRequest", { requestId: c.requestId })).body.data?.cancelRequest.request.status, "cancelled");
  for (const id of [s.projectBudget, s.userBudget]) t.like(await budgetRow(ctx.db, id), { daily: "0.00000000", reserved: "0.00000000" });
  t.like(await userRow(ctx.db, s.userId), { reserved: "0.00000000", balance: "100.00000000", total_requests: 0 });
});

test("invalid transitions are SGTRN errors naming both statuses, and change nothing", async (t) => {
  const s = await setup();
  const pending = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "6" });
  const approved = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "1" });
  const rejected = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "50" });
  t.is(rejected.status, "rejected");
  await lifecycle(ctx.gateway, s.headers, "completeRequest", { requestId: approved.requestId, actualCost: "1" });
  const before = await budgetRow(ctx.db, s.projectBudget);

  const cases: [Record<string, string>, string, Record<string, unknown>, RegExp][] = [
    [s.headers, "startRequest", { requestId: pending.requestId }, /from pending to executing/],
    [s.headers, "completeRequest", { requestId: pending.requestId, actualCost: "1" }, /from pending to executed/],
    [s.headers, "completeRequest", { requestId: approved.requestId, actualCost: "2" }, /from executed to executed/],
    [s.headers, "cancelRequest", { requestId: approved.requestId }, /from executed to cancelled/],
    [s.headers, "failRequest", { requestId: rejected.requestId }, /from rejected to failed/],
    [operatorHeaders, "approveRequest", { requestId: rejected.requestId }, /from rejected to approved/],
    [operatorHeaders, "rejectRequest", { requestId: approved.requestId }, /from executed to rejected/],
  ];
  for (const [headers, mutation, input, message] of cases) {
    const response = await lifecycle(ctx.gateway, headers, mutation, input);
    t.is(errorCode(response), "SGTRN", mutation);
    t.regex(response.body.errors![0]!.message, message);
  }
  t.deepEqual(await budgetRow(ctx.db, s.projectBudget), before);
  t.like(await userRow(ctx.db, s.userId), { total_requests: 1 });
});

test("the status transition rules hold for direct SQL updates too", async (t) => {
  const s = await setup();
  const r = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "1" });
  await lifecycle(ctx.gateway, s.headers, "cancelRequest", { requestId: r.requestId });
  const error = await t.throwsAsync(ctx.db.ownerPool.query("update app_public.requests set status = 'approved' where request_id = $1", [r.requestId]));
  t.is((error as { code?: string }).code, "SGTRN");
});

test("another user's request is not found (SGRNF); a negative actual cost is SGCST", async (t) => {
  const s = await setup();
  const intruder = await createUser(ctx.db.ownerPool);
  const r = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "1" });
  for (const mutation of ["completeRequest", "cancelRequest", "startRequest", "failRequest"]) {
    const response = await lifecycle(ctx.gateway, await ctx.gateway.as(intruder), mutation, { requestId: r.requestId, ...(mutation === "completeRequest" ? { actualCost: "0" } : {}) });
    t.is(errorCode(response), "SGRNF", mutation);
  }
  const negative = await lifecycle(ctx.gateway, s.headers, "completeRequest", { requestId: r.requestId, actualCost: "-1" });
  t.is(errorCode(negative), "SGCST");
  // An operator may settle a user's request.
  const byOperator = await lifecycle(ctx.gateway, operatorHeaders, "completeRequest", { requestId: r.requestId, actualCost: "0.5" });
  t.is(byOperator.body.data?.completeRequest.request.status, "executed");
});

test("operators cannot bypass the lifecycle through the generic updateRequest mutation", async (t) => {
  const s = await setup();
  const r = await submit(ctx.gateway, s.headers, { projectId: s.projectId, estimatedCost: "6" });
  const response = await ctx.gateway.graphql(
    `mutation($id: UUID!) { updateRequest(input: { requestId: $id, patch: { status: approved } }) { request { status } } }`,
    { id: r.requestId },
    operatorHeaders,
  );
  t.regex(response.body.errors?.[0]?.message ?? "", /"status" is not defined by type "RequestPatch"/, "status is not part of the patch");
  const { rows } = await ctx.db.ownerPool.query("select status from app_public.requests where request_id = $1", [r.requestId]);
  t.is(rows[0].status, "pending");
});
