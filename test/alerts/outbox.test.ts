// The alert outbox (issue 11, part 5): events are written in the transaction of their cause,
// users read their own and operators everyone's, and a cursor lets a client fetch exactly what it
// has not seen yet, whatever order transactions commit in.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { errorCode } from "../spend/support.ts";
import { eventsAfter, headersOf, spender } from "./support.ts";

const ctx = useTestGateway();

test("crossing 80% and 100% of a daily limit writes one threshold_crossed event each, visible to the owner", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  await alice.spend("7.9"); // 79%: nothing
  t.deepEqual(await eventsAfter(ctx.gateway, alice.headers), []);
  await alice.spend("0.1"); // 80%
  await alice.spend("1"); // 90%: nothing new
  await alice.spend("1"); // 100%
  await alice.spend("1"); // rejected (over the limit): no crossing
  const events = await eventsAfter(ctx.gateway, alice.headers);
  t.deepEqual(events.map((e) => [e.kind, e.userId, e.payload]), [
    ["threshold_crossed", alice.userId, { budget_id: alice.budgetId, project_id: null, period: "daily", threshold: 80, spent: "8.00000000", limit: "10.00000000" }],
    ["threshold_crossed", alice.userId, { budget_id: alice.budgetId, project_id: null, period: "daily", threshold: 100, spent: "10.00000000", limit: "10.00000000" }],
  ]);
});

test("users see only their own events, operators and admins everyone's; anonymous callers nothing", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  const bob = await spender(ctx.db, ctx.gateway);
  await alice.spend("9");
  await bob.spend("9");
  const own = await eventsAfter(ctx.gateway, alice.headers);
  t.deepEqual(own.map((e) => e.userId), [alice.userId]);
  for (const role of ["operator", "admin"] as const) {
    const all = (await eventsAfter(ctx.gateway, await headersOf(ctx.db, ctx.gateway, role))).map((e) => e.userId);
    t.true(all.includes(alice.userId) && all.includes(bob.userId), role);
  }
  const anonymous = await ctx.gateway.graphql("{ alertEventsAfter { nodes { eventId } } }");
  t.is(errorCode(anonymous), "SGDNY");
});

test("a cursor returns only the events after it, oldest first", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway, "100");
  await alice.spend("80");
  const [first] = await eventsAfter(ctx.gateway, alice.headers);
  t.deepEqual(await eventsAfter(ctx.gateway, alice.headers, first!.cursor), []);
  await alice.spend("20");
  const next = await eventsAfter(ctx.gateway, alice.headers, first!.cursor);
  t.deepEqual(next.map((e) => e.payload.threshold), [100]);
  t.true(BigInt(next[0]!.cursor) > BigInt(first!.cursor));
});

test("a hold that expires (status cancelled, reason hold_expired) writes a hold_expired event", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway, "100");
  const request = await alice.spend("5");
  // What the hold-expiry job does to a request (the contract with it); here as the owner.
  await ctx.db.ownerPool.query("update app_public.requests set status = 'cancelled', reason = 'hold_expired' where request_id = $1", [request.requestId]);
  const events = await eventsAfter(ctx.gateway, alice.headers);
  t.deepEqual(events.map((e) => [e.kind, e.payload]), [
    ["hold_expired", { request_id: request.requestId, project_id: null, agent_id: "agent-1", estimated_cost: "5.00000000" }],
  ]);
});

test("the 10th rejection within an hour writes one rejections_exceeded event, and the 11th none", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway, "1");
  const rejected = [];
  for (let i = 0; i < 11; i++) rejected.push(await alice.spend("2")); // over the daily limit each time
  t.true(rejected.every((r) => r.status === "rejected"));
  const events = await eventsAfter(ctx.gateway, alice.headers);
  t.deepEqual(events.map((e) => [e.kind, e.payload]), [
    ["rejections_exceeded", { count: 10, window_seconds: 3600, request_id: rejected[9]!.requestId, reason: "budget_daily_exceeded" }],
  ]);
});

test("positions follow commit order: an event committed later never sorts before a cursor a client already holds", async (t) => {
  const userId = (await spender(ctx.db, ctx.gateway)).userId;
  const headers = await ctx.gateway.as(userId);
  const emit = "select app_private.emit_alert_event($1, 'hold_expired', $2)";
  const first = await ctx.db.ownerPool.connect();
  const second = await ctx.db.ownerPool.connect();
  try {
    // `first` writes its event first but commits last.
    await first.query("begin");
    await first.query(emit, [userId, { n: "written first" }]);
    await second.query("begin");
    await second.query(emit, [userId, { n: "committed first" }]);
    await second.query("commit");
    const seen = await eventsAfter(ctx.gateway, headers);
    t.deepEqual(seen.map((e) => e.payload.n), ["committed first"]);
    await first.query("commit");
    const rest = await eventsAfter(ctx.gateway, headers, seen[0]!.cursor);
    t.deepEqual(rest.map((e) => e.payload.n), ["written first"], "it comes after the cursor the client kept");
  } finally {
    first.release();
    second.release();
  }
});
