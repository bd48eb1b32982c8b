// Webhooks (issue 11, parts 5 and 6): createWebhook returns its secret once; each alert event is
// delivered at least once with an HMAC signature and the same event id on every attempt; a
// receiver that is down and then up gets each event delivered once; every attempt is recorded
// and readable by its owner; private addresses are refused outside development. The task runs
// directly with a clock passed in (payload.now): retries are made due by moving the clock.
import test from "ava";
import pg from "pg";
import { Logger, runMigrations, type JobHelpers } from "graphile-worker";
import { verifyWebhook } from "../../src/alerts/signature.ts";
import type { OutboundConfig } from "../../src/config.ts";
import { makeDeliverWebhooks } from "../../src/tasks/deliver_webhooks.ts";
import { startTestGateway, useTestGateway } from "../helpers/gateway.ts";
import { errorCode } from "../spend/support.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import { eventsAfter, headersOf, spender, type Spender } from "./support.ts";

// Development-like outbound rules, so that the local receiver may be reached.
const ctx = useTestGateway({ OUTBOUND_ALLOW_PRIVATE: "true" });

const CREATE = `mutation($url: String!, $events: [AlertEventKind!]!) {
  createWebhook(input: {url: $url, events: $events}) { secret webhook { webhookId url events userId } }
}`;

async function createWebhook(owner: Spender, url: string, events = ["threshold_crossed"]) {
  const response = await ctx.gateway.graphql(CREATE, { url, events }, owner.headers);
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data.createWebhook as { secret: string; webhook: { webhookId: string; url: string; events: string[]; userId: string } };
}

/** Runs the task once, as the worker would, with the clock at `now`. */
async function deliver(now: Date, outbound: Partial<OutboundConfig> = {}) {
  const pool = ctx.db.ownerPool;
  const helpers = {
    withPgClient: async <T>(fn: (client: pg.PoolClient) => Promise<T>) => {
      const client = await pool.connect();
      try {
        return await fn(client);
      } finally {
        client.release();
      }
    },
    logger: new Logger(() => () => undefined),
  } as unknown as JobHelpers;
  await makeDeliverWebhooks(() => ({ ...ctx.gateway.config.outbound, ...outbound }))({ now: now.toISOString() }, helpers);
}

const seconds = (from: Date, s: number) => new Date(from.getTime() + s * 1000);

async function deliveries(headers: Record<string, string>) {
  const response = await ctx.gateway.graphql(
    "{ webhookDeliveries { nodes { webhookId eventId attempt statusCode error succeeded nextAttemptAt } } }",
    {},
    headers,
  );
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return (response.body.data.webhookDeliveries.nodes as Record<string, any>[]).sort((a, b) => a.attempt - b.attempt);
}

let receiver: Receiver;
test.before(async () => {
  receiver = await startReceiver();
});
test.after.always(async () => {
  await receiver?.down().catch(() => undefined);
});

test.serial("a receiver that is down, then up, gets the event exactly once, signed, with the same event id on every attempt", async (t) => {
  receiver.received.length = 0;
  const alice = await spender(ctx.db, ctx.gateway);
  const { secret, webhook } = await createWebhook(alice, receiver.url);
  t.regex(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  t.like(webhook, { url: receiver.url, events: ["threshold_crossed"], userId: alice.userId });
  await alice.spend("8"); // crosses 80%
  const [event] = await eventsAfter(ctx.gateway, alice.headers);
  const start = seconds(new Date(), 1);

  receiver.answer = 503; // up, but failing
  await deliver(start);
  await receiver.down(); // then down: connections refused
  await deliver(start); // the retry is not due yet: nothing is sent
  await deliver(seconds(start, 31));
  receiver.answer = 200;
  await receiver.up();
  await deliver(seconds(start, 31)); // still not due (the second retry waits 60 s)
  await deliver(seconds(start, 92));
  await deliver(seconds(start, 10_000)); // delivered: never sent again

  t.deepEqual(receiver.received.map((r) => r.answered), [503, 200], "one failed and one successful request reached the receiver");
  for (const request of receiver.received) {
    t.is(request.headers["x-spendgate-event-id"], event!.eventId);
    t.is(request.headers["x-spendgate-event-kind"], "threshold_crossed");
    t.true(verifyWebhook(secret, Number(request.headers["x-spendgate-timestamp"]), request.body, String(request.headers["x-spendgate-signature"])));
    t.like(JSON.parse(request.body), { event_id: event!.eventId, kind: "threshold_crossed", user_id: alice.userId, cursor: Number(event!.cursor) });
  }
  t.is(receiver.received[0]!.body, receiver.received[1]!.body, "the same event body on every attempt");
  t.deepEqual(receiver.received.map((r) => r.headers["x-spendgate-attempt"]), ["1", "3"]);

  const attempts = await deliveries(alice.headers);
  t.deepEqual(attempts.map((a) => [a.attempt, a.statusCode, a.succeeded, a.eventId]), [
    [1, 503, false, event!.eventId],
    [2, null, false, event!.eventId],
    [3, 200, true, event!.eventId],
  ]);
  t.regex(attempts[0]!.error, /^HTTP 503/);
  t.regex(attempts[1]!.error, /ECONNREFUSED/);
  t.is(new Date(attempts[0]!.nextAttemptAt).getTime(), seconds(start, 30).getTime(), "first retry after 30 s");
  t.is(new Date(attempts[1]!.nextAttemptAt).getTime(), seconds(start, 31 + 60).getTime(), "then after 60 s");
  t.is(attempts[2]!.nextAttemptAt, null);
});

test.serial("only the kinds a webhook asked for are delivered, only to its owner's webhooks", async (t) => {
  receiver.received.length = 0;
  const alice = await spender(ctx.db, ctx.gateway, "1");
  const bob = await spender(ctx.db, ctx.gateway);
  await createWebhook(alice, receiver.url, ["rejections_exceeded"]);
  await alice.spend("0.9"); // threshold_crossed: not asked for
  await bob.spend("9"); // bob's event: not alice's webhook
  for (let i = 0; i < 10; i++) await alice.spend("5"); // 10 rejections
  await deliver(seconds(new Date(), 1));
  t.deepEqual(receiver.received.map((r) => JSON.parse(r.body).kind), ["rejections_exceeded"]);
  t.is(JSON.parse(receiver.received[0]!.body).user_id, alice.userId);
});

test.serial("a new event wakes the worker: graphile-worker runs deliver_webhooks at once", async (t) => {
  receiver.received.length = 0;
  await runMigrations({ pgPool: ctx.db.ownerPool, logger: new Logger(() => () => undefined) });
  const alice = await spender(ctx.db, ctx.gateway);
  await createWebhook(alice, receiver.url);
  await alice.spend("8");
  const { rows } = await ctx.db.ownerPool.query("select task_identifier, key from graphile_worker.jobs");
  t.deepEqual(rows, [{ task_identifier: "deliver_webhooks", key: "deliver_webhooks" }]);
  const { runOnce } = await import("graphile-worker");
  await runOnce({
    pgPool: ctx.db.ownerPool,
    taskList: { deliver_webhooks: makeDeliverWebhooks(() => ctx.gateway.config.outbound) },
    logger: new Logger(() => () => undefined),
  });
  t.is(receiver.received.length, 1);
  t.is(receiver.received[0]!.answered, 200);
});

test.serial("outside development, deliveries to private or loopback addresses are refused and recorded", async (t) => {
  receiver.received.length = 0;
  const alice = await spender(ctx.db, ctx.gateway);
  await createWebhook(alice, receiver.url); // registered while allowed (development)
  await alice.spend("8");
  await deliver(seconds(new Date(), 1), { allowPrivateAddresses: false });
  t.is(receiver.received.length, 0, "nothing was sent");
  const [attempt] = await deliveries(alice.headers);
  t.like(attempt, { attempt: 1, statusCode: null, succeeded: false });
  t.regex(attempt!.error, /127\.0\.0\.1 is not a public address/);
});

test.serial("createWebhook refuses private addresses and non-http URLs outside development (SGURL), and needs a user", async (t) => {
  const strict = await startTestGateway(ctx.db); // NODE_ENV=test: private addresses refused
  try {
    const alice = await spender(ctx.db, strict);
    for (const url of ["http://127.0.0.1:9/x", "http://10.1.2.3/x", "ftp://example.com/x", "http://user:pw@example.com/x", "nope"]) {
      const response = await strict.graphql(CREATE, { url, events: ["hold_expired"] }, alice.headers);
      t.is(errorCode(response), "SGURL", url);
    }
    const accepted = await strict.graphql(CREATE, { url: "https://hooks.example.com/spendgate", events: ["hold_expired"] }, alice.headers);
    t.falsy(accepted.body.errors);
    const anonymous = await strict.graphql(CREATE, { url: "https://hooks.example.com/x", events: ["hold_expired"] });
    t.truthy(anonymous.body.errors);
    t.true(["SGANO", "SGDNY"].includes(errorCode(anonymous) as string));
  } finally {
    await strict.close();
  }
});

test.serial("users see their own webhooks and deliveries and never the secret; operators see all", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  const bob = await spender(ctx.db, ctx.gateway);
  const a = await createWebhook(alice, receiver.url);
  const b = await createWebhook(bob, receiver.url);
  const list = async (headers: Record<string, string>) =>
    (await ctx.gateway.graphql("{ webhooks { nodes { webhookId } } }", {}, headers)).body.data.webhooks.nodes.map((n: { webhookId: string }) => n.webhookId);
  t.deepEqual(await list(alice.headers), [a.webhook.webhookId]);
  const all = await list(await headersOf(ctx.db, ctx.gateway, "operator"));
  t.true(all.includes(a.webhook.webhookId) && all.includes(b.webhook.webhookId));
  const secretField = await ctx.gateway.graphql("{ webhooks { nodes { secret } } }", {}, alice.headers);
  t.is(errorCode(secretField), "GRAPHQL_VALIDATION_FAILED");
  // Removing a webhook (soft delete) stops deliveries to it.
  const removed = await ctx.gateway.graphql("mutation($id: UUID!) { updateWebhook(input: {webhookId: $id, patch: {deletedAt: \"2020-01-01T00:00:00Z\"}}) { webhook { webhookId } } }", { id: a.webhook.webhookId }, alice.headers);
  t.falsy(removed.body.errors);
  t.deepEqual(await list(alice.headers), []);
});
