// The alert subscription (issue 11, parts 5 and 6): GraphQL over WebSocket through grafserv with
// the same credentials as HTTP (connectionParams), each user gets their own events and operators
// everyone's, and a client that disconnects catches up with the cursor of the last event it
// handled (alertEventsAfter), then continues live, missing nothing and getting nothing twice.
import test from "ava";
import { SignJWT } from "jose";
import { createApiKey, login, withToken } from "../api/client.ts";
import { TEST_PASSWORD } from "../helpers/fixtures.ts";
import { TEST_JWT_SECRET, useTestGateway } from "../helpers/gateway.ts";
import { eventsAfter, headersOf, spender } from "./support.ts";
import { listening, subscribe } from "./subscriber.ts";

const ctx = useTestGateway();
// One listening connection serves every subscription of the gateway: tests run one at a time so
// that waiting for a LISTEN is unambiguous.

test.serial("a user receives their own threshold events as they happen, an operator everyone's", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  const bob = await spender(ctx.db, ctx.gateway);
  const operatorHeaders = await headersOf(ctx.db, ctx.gateway, "operator");
  // One at a time: listening() sees only the last statement of the gateway's listening connection,
  // so a second LISTEN run before the first was seen would hide it.
  const mine = subscribe(ctx.gateway.url, alice.headers);
  await listening(ctx.db, `spendgate_alerts:${alice.userId}`);
  const all = subscribe(ctx.gateway.url, operatorHeaders);
  try {
    await listening(ctx.db, "spendgate_alerts");
    await bob.spend("8"); // bob's 80%: not for alice
    await alice.spend("8"); // alice's 80%
    const received = await mine.next();
    t.like(received, { kind: "threshold_crossed", userId: alice.userId });
    t.like(received.payload, { budget_id: alice.budgetId, threshold: 80 });
    t.deepEqual([(await all.next()).userId, (await all.next()).userId], [bob.userId, alice.userId]);
    await alice.spend("2"); // 100%: alice's next event is hers, bob's never came
    t.like(await mine.next(), { userId: alice.userId, payload: { ...received.payload, threshold: 100, spent: "10.00000000" } });
  } finally {
    await mine.close();
    await all.close();
  }
});

test.serial("a subscriber that reconnects catches up from its cursor, then continues live: nothing missed, nothing twice", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway, "100");
  const channel = `spendgate_alerts:${alice.userId}`;
  const first = subscribe(ctx.gateway.url, alice.headers);
  await listening(ctx.db, channel);
  await alice.spend("80");
  const handled = [await first.next()];
  await first.close(); // the connection drops
  await listening(ctx.db, channel, "UNLISTEN");

  await alice.spend("20"); // 100% daily, while disconnected
  await ctx.db.ownerPool.query("update app_public.requests set status = 'cancelled', reason = 'hold_expired' where request_id = (select request_id from app_public.requests where user_id = $1 order by created_at limit 1)", [alice.userId]);

  const second = subscribe(ctx.gateway.url, alice.headers);
  try {
    await listening(ctx.db, channel);
    // Subscribe first, then catch up: an event committed in between arrives both ways; the event id tells.
    const missed = await eventsAfter(ctx.gateway, alice.headers, handled.at(-1)!.cursor);
    t.deepEqual(missed.map((e) => e.kind), ["threshold_crossed", "hold_expired"]);
    handled.push(...missed);
    for (let i = 0; i < 10; i++) await alice.spend("1000"); // 10 rejections: rejections_exceeded, live
    const live = await second.next();
    t.is(live.kind, "rejections_exceeded");
    t.false(handled.some((e) => e.eventId === live.eventId));
    handled.push(live);
    t.deepEqual(handled.map((e) => e.eventId), (await eventsAfter(ctx.gateway, alice.headers)).map((e) => e.eventId), "every event once, in outbox order");
  } finally {
    await second.close();
  }
});

test.serial("an API key in connectionParams works like the header; a bad token or no credentials is refused", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  const key = await createApiKey({ client: withToken(ctx.gateway.url, alice.headers.authorization!.slice(7)) } as never);
  const byKey = subscribe(ctx.gateway.url, { "X-API-Key": key.apiKey });
  try {
    await listening(ctx.db, `spendgate_alerts:${alice.userId}`);
    await alice.spend("9");
    t.is((await byKey.next()).userId, alice.userId);
  } finally {
    await byKey.close();
  }
  const bad = subscribe(ctx.gateway.url, { authorization: "Bearer not.a.token" });
  t.is((await bad.failed)[0]!.extensions?.code, "INVALID_TOKEN");
  await bad.close();
  const anonymous = subscribe(ctx.gateway.url, {});
  t.is((await anonymous.failed)[0]!.extensions?.code, "SGANO");
  await anonymous.close();
});

test.serial("over WebSocket only subscriptions run: a query or a mutation (login) is refused, so HTTP's rate limits cannot be bypassed", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  for (const query of ["{ currentUser { userId } }", "mutation { login(input: {email: \"a@example.com\", password: \"x\"}) { accessToken } }"]) {
    const socket = subscribe(ctx.gateway.url, alice.headers, query);
    const [error] = await socket.failed;
    t.is(error!.extensions?.code, "SUBSCRIPTIONS_ONLY", query);
    await socket.close();
  }
});

test.serial("logging out ends that session's subscriptions at once (4403); another session of the same user keeps receiving", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  const { rows: [{ email }] } = await ctx.db.ownerPool.query("select email from app_public.users where user_id = $1", [alice.userId]);
  const [first, second] = [await login(ctx.gateway.url, email, TEST_PASSWORD), await login(ctx.gateway.url, email, TEST_PASSWORD)];
  const ending = subscribe(ctx.gateway.url, { authorization: `Bearer ${first.accessToken}` });
  const staying = subscribe(ctx.gateway.url, { authorization: `Bearer ${second.accessToken}` });
  try {
    await listening(ctx.db, `spendgate_alerts:${alice.userId}`);
    await alice.spend("8");
    t.is((await ending.next()).userId, alice.userId);
    t.is((await staying.next()).userId, alice.userId);
    t.deepEqual(await first.client.data("mutation { logout(input: {}) { result } }"), { logout: { result: true } });
    t.deepEqual(await ending.failed, [{ message: "the session of this token has ended (logged out or revoked)", extensions: { closeCode: 4403 } }]);
    await alice.spend("2");
    t.like(await staying.next(), { userId: alice.userId, payload: { threshold: 100 } });
  } finally {
    await ending.close();
    await staying.close();
  }
});

test.serial("an agent's subscription by API key ends when the key is revoked", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  const owner = withToken(ctx.gateway.url, alice.headers.authorization!.slice(7));
  const key = await createApiKey({ client: owner } as never);
  const byKey = subscribe(ctx.gateway.url, { "X-API-Key": key.apiKey });
  try {
    await listening(ctx.db, `spendgate_alerts:${alice.userId}`);
    await alice.spend("8");
    t.is((await byKey.next()).userId, alice.userId);
    await owner.data("mutation($id: BigInt!) { revokeApiKey(input: {apiKeyId: $id}) { apiKey { status } } }", { id: key.apiKeyId });
    t.deepEqual(await byKey.failed, [{ message: "this API key has been revoked", extensions: { closeCode: 4403 } }]);
  } finally {
    await byKey.close();
  }
});

test.serial("a subscription ends when its token expires, without any request", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  const { issuer, audience } = ctx.gateway.config.jwt;
  // Expired 22 s ago: still accepted for the 30 s clock tolerance, so for about 8 s more.
  const exp = Math.floor(Date.now() / 1000) - 22;
  const token = await new SignJWT({ role: "user" }).setProtectedHeader({ alg: "HS256" }).setSubject(alice.userId).setIssuer(issuer).setAudience(audience)
    .setIssuedAt(exp - 60).setExpirationTime(exp).sign(new TextEncoder().encode(TEST_JWT_SECRET));
  const expiring = subscribe(ctx.gateway.url, { authorization: `Bearer ${token}` });
  try {
    await listening(ctx.db, `spendgate_alerts:${alice.userId}`);
    await alice.spend("8");
    t.is((await expiring.next()).userId, alice.userId, "live until the expiry");
    t.deepEqual(await expiring.failed, [{ message: "the credentials of this connection have expired", extensions: { closeCode: 4403 } }]);
    t.true(Date.now() >= (exp + 30) * 1000, "not before the token stops being accepted");
  } finally {
    await expiring.close();
  }
});
