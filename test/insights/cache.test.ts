// The response caches of a user's insight views (profile 5 min, recommendations 1 h, signals
// 24 h), through HTTP with the machine's Redis: hits come from Redis under per-user keys, and
// every change (the persona job in SQL, an operator's decision, consent revocation, deletion of
// the user) drops them on every gateway instance by the database's NOTIFY. Without Redis, and
// when Redis goes away, the same reads answer from PostgreSQL. Invalidation is awaited by
// watching the key disappear, never by sleeping.
import { randomUUID } from "node:crypto";
import test from "ava";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startRedisProxy, type RedisProxy } from "../helpers/redisProxy.ts";
import { ApiClient, bootstrapAdmin, promote, register, type Account } from "../api/client.ts";
import { REDIS_TEST_URL, redisReady, redisSerialTest } from "./support.ts";

let db: TestDatabase;
let first: TestGateway;
let second: TestGateway;
let withoutRedis: TestGateway;
let proxied: TestGateway;
let proxy: RedisProxy;
let operator: Account;
const prefix = `spendgate-test-${randomUUID()}`;

test.before(async () => {
  db = await createTestDatabase();
  const redisEnv = { REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix };
  first = await startTestGateway(db, redisEnv);
  second = await startTestGateway(db, redisEnv);
  withoutRedis = await startTestGateway(db);
  proxy = await startRedisProxy();
  proxied = await startTestGateway(db, { REDIS_URL: proxy.url, REDIS_KEY_PREFIX: `${prefix}-proxied`, REDIS_COMMAND_TIMEOUT_MS: "500" });
  const admin = await bootstrapAdmin(first.url, db.ownerUrl);
  operator = await promote(admin, await register(first.url), "operator");
});
test.after.always(async () => {
  await Promise.all([first?.close(), second?.close(), withoutRedis?.close(), proxied?.close()]);
  await proxy?.close();
  await db?.drop();
});

const VIEWS = `{ mySpendProfile { personaId personaName updatedAt } mySignals { signals30D signals180D } myRecommendations { recommendationId title rationale approvedAt } }`;

async function consentingUser(gateway: TestGateway): Promise<Account> {
  const user = await register(gateway.url);
  await user.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {consentStatus: true}}) { user { consentStatus } } }", { id: user.userId });
  await user.client.data("mutation($id: UUID!) { computePersona(input: {userId: $id}) { userProfile { personaId } } }", { id: user.userId });
  return user;
}


const key = (view: string, userId: string) => `${prefix}:${view}:${userId}`;

/** Resolves once every key is gone (deleted by the invalidation), polling Redis back to back. */
async function gone(gateway: TestGateway, keys: string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) if ((await gateway.redis!.client.exists(...keys)) === 0) return;
  throw new Error(`still cached after ${timeoutMs} ms: ${keys.join(", ")}`);
}

/** The user's spending becomes growing, written and recomputed in SQL (as the nightly job does). */
async function growInSql(userId: string) {
  await db.ownerPool.query(
    `insert into app_public.requests (user_id, api_provider, model_name, status, estimated_cost, actual_cost, created_at)
     select $1, 'openai', 'm', 'executed', 1, case when g < 14 then 3 else 1 end, now() - make_interval(days => g + 1) from generate_series(0, 28) g`,
    [userId],
  );
  await db.ownerPool.query("select * from app_private.compute_personas(now(), $1)", [userId]);
}

redisSerialTest("a user's views are cached per user with the seed's TTLs, and a second read is a hit", async (t) => {
  await redisReady(first.redis);
  const [alice, bob] = [await consentingUser(first), await consentingUser(first)];
  const before = first.cache.stats();
  const views = await alice.client.data(VIEWS);
  t.like(views.mySpendProfile, { personaId: 5, personaName: "dormant" });
  t.is(views.mySignals.signals30D.requests, 0);
  t.deepEqual(views.myRecommendations, []);
  t.deepEqual(await alice.client.data(VIEWS), views);
  const after = first.cache.stats();
  t.is(after.misses - before.misses, 3);
  t.is(after.hits - before.hits, 3);
  const ttl = (view: string) => first.redis!.client.ttl(key(view, alice.userId));
  t.true((await ttl("profile")) > 290 && (await ttl("profile")) <= 300);
  t.true((await ttl("recommendations")) > 3590 && (await ttl("recommendations")) <= 3600);
  t.true((await ttl("signals")) > 86_390 && (await ttl("signals")) <= 86_400);
  // Bob's keys are his own: his reads never return Alice's views.
  t.like((await bob.client.data(VIEWS)).mySpendProfile, { personaId: 5 });
  t.not(key("profile", alice.userId), key("profile", bob.userId));
  await first.redis!.client.set(key("profile", bob.userId), JSON.stringify({ personaId: 2, personaName: "from the cache", updatedAt: views.mySpendProfile.updatedAt }), "KEEPTTL");
  t.is((await bob.client.data(VIEWS)).mySpendProfile.personaName, "from the cache", "reads are served from Redis");
  t.is((await alice.client.data(VIEWS)).mySpendProfile.personaName, "dormant");
});

redisSerialTest("a change made in SQL (the persona job) drops the cached profile and signals on every instance", async (t) => {
  await Promise.all([redisReady(first.redis), redisReady(second.redis)]);
  const user = await consentingUser(first);
  const onSecond = new ApiClient(second.url, user.client.headers);
  t.like((await onSecond.data(VIEWS)).mySpendProfile, { personaId: 5 });
  await growInSql(user.userId);
  await gone(first, [key("profile", user.userId), key("signals", user.userId)]);
  const fresh = await user.client.data(VIEWS);
  t.like(fresh.mySpendProfile, { personaId: 3, personaName: "growing" });
  t.is(fresh.mySignals.signals30D.requests, 29);
  t.like((await onSecond.data(VIEWS)).mySpendProfile, { personaId: 3 }, "the other instance reads the same fresh value");
});

redisSerialTest("an operator's approval drops the cached recommendations; consent revocation drops everything", async (t) => {
  await redisReady(first.redis);
  const user = await consentingUser(first);
  await growInSql(user.userId);
  t.deepEqual((await user.client.data(VIEWS)).myRecommendations, []);
  const { recommendations } = await operator.client.data(`query($u: UUID!) { recommendations(condition: {userId: $u, status: pending}) { nodes { recommendationId } } }`, { u: user.userId });
  const id = recommendations.nodes[0].recommendationId;
  await operator.client.data(`mutation($id: UUID!) { approveRecommendation(input: {recommendationId: $id}) { recommendation { status } } }`, { id });
  await gone(first, [key("recommendations", user.userId)]);
  const approved = (await user.client.data(VIEWS)).myRecommendations;
  t.is(approved.length, 1);
  t.is(approved[0].recommendationId, id);

  await user.client.data(VIEWS); // everything cached again
  t.is(await first.redis!.client.exists(key("profile", user.userId), key("signals", user.userId), key("recommendations", user.userId)), 3);
  await user.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {consentStatus: false}}) { user { consentStatus } } }", { id: user.userId });
  await gone(first, [key("profile", user.userId), key("signals", user.userId), key("recommendations", user.userId)]);
  const after = await user.client.data(VIEWS);
  t.is(after.mySpendProfile, null);
  t.is(after.mySignals, null);
  t.is(after.myRecommendations.length, 1, "decided recommendations stay");
});

redisSerialTest("deleting the user drops their cached views", async (t) => {
  await redisReady(first.redis);
  const user = await consentingUser(first);
  await user.client.data(VIEWS);
  await db.ownerPool.query("update app_public.users set deleted_at = now() where user_id = $1", [user.userId]);
  await gone(first, [key("profile", user.userId), key("signals", user.userId), key("recommendations", user.userId)]);
  t.pass();
});

test.serial("without Redis the same views answer from PostgreSQL, always fresh", async (t) => {
  const user = await consentingUser(withoutRedis);
  t.like((await user.client.data(VIEWS)).mySpendProfile, { personaId: 5 });
  await growInSql(user.userId);
  t.like((await user.client.data(VIEWS)).mySpendProfile, { personaId: 3 }, "no invalidation needed: nothing was cached");
  t.true(withoutRedis.cache.stats().bypassed >= 6);
  t.deepEqual(withoutRedis.cache.stats().hits, 0);
});

redisSerialTest("when Redis goes away the views still answer, from PostgreSQL; when it is back, the cache starts clean", async (t) => {
  const redis = await redisReady(proxied.redis);
  const user = await consentingUser(proxied);
  await user.client.data(VIEWS);
  proxy.cut();
  await growInSql(user.userId); // the invalidation cannot reach Redis now
  const during = await user.client.post(VIEWS);
  t.is(during.status, 200);
  t.like(during.body.data.mySpendProfile, { personaId: 3 }, "fresh from PostgreSQL, no error");
  proxy.restore();
  await redisReady(redis);
  await gone(proxied, [`${prefix}-proxied:profile:${user.userId}`]); // flushed on reconnect
  t.like((await user.client.data(VIEWS)).mySpendProfile, { personaId: 3 });
});

test("anonymous callers get no views", async (t) => {
  const response = await fetch(`${first.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify({ query: VIEWS }) });
  t.deepEqual(((await response.json()) as { data: unknown }).data, { mySpendProfile: null, mySignals: null, myRecommendations: [] });
});
