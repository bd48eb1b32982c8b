// The Redis tier of the credential check (src/auth/sessionCache.ts) across two gateway instances
// with REDIS_URL on one database, against the machine's Redis under a key prefix of this file's
// own: a warm token is checked in Redis alone; a logout or a suspension made through one
// instance is refused by the other at its very next request, with no wait for the database's
// notification (what Redis adds over the per-process cache); changes made in SQL reach Redis
// through the notifications. A third instance reaches Redis through a relay that the test cuts and
// stalls: it keeps answering from memory and the database, and revocation still reaches it by NOTIFY.
import { randomUUID } from "node:crypto";
import test from "ava";
import { createSessionCache, type SessionCache } from "../../src/auth/sessionCache.ts";
import { loadConfigSections } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { connectRedis } from "../../src/redis.ts";
import { bootstrapAdmin, register, withToken, type Account } from "../api/client.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startRedisProxy, type RedisProxy } from "../helpers/redisProxy.ts";
import { REDIS_TEST_URL, redisReady, redisSerialTest } from "../insights/support.ts";

const prefix = `spendgate-test-${randomUUID()}`;
let db: TestDatabase;
let a: TestGateway;
let b: TestGateway;
let proxied: TestGateway;
let proxy: RedisProxy;
let admin: Account;

test.before(async () => {
  db = await createTestDatabase();
  proxy = await startRedisProxy();
  [a, b, proxied] = await Promise.all([
    startTestGateway(db, { REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix }),
    startTestGateway(db, { REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix }),
    startTestGateway(db, { REDIS_URL: proxy.url, REDIS_KEY_PREFIX: prefix, REDIS_COMMAND_TIMEOUT_MS: "500" }),
  ]);
  admin = await bootstrapAdmin(a.url, db.ownerUrl);
});
test.after.always(async () => {
  await Promise.all([a?.close(), b?.close(), proxied?.close()]);
  await proxy?.close();
  await db?.drop();
});

const ME = "{ currentUser { userId } }";
const on = (gateway: TestGateway, account: Account) => withToken(gateway.url, account.accessToken);
const key = (...parts: string[]) => [prefix, ...parts].join(":");
const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { sid: string; jti: string; exp: number };

/** The credential checks `gateway` answered from each source so far. */
async function checks(gateway: TestGateway): Promise<{ memory: number; redis: number; database: number }> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const read = (source: string) => Number(new RegExp(`^spendgate_credential_checks_total\\{source="${source}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { memory: read("memory"), redis: read("redis"), database: read("database") };
}
const delta = (before: Awaited<ReturnType<typeof checks>>, after: Awaited<ReturnType<typeof checks>>) => ({
  memory: after.memory - before.memory,
  redis: after.redis - before.redis,
  database: after.database - before.database,
});

async function bothInUse(): Promise<void> {
  await Promise.all([a, b].map(async (gateway) => (await redisReady(gateway.redis), await gateway.credentials.redisInUse())));
}

/** Resolves once the key is gone, polling Redis back to back (the deletion follows a notification). */
async function gone(redisKey: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) if ((await a.redis!.client.exists(redisKey)) === 0) return;
  throw new Error(`${redisKey} still there after ${timeoutMs} ms`);
}

redisSerialTest("a warm token is checked in Redis alone: session:{sid} with the session's TTL, no database query", async (t) => {
  await bothInUse();
  const carol = await register(a.url);
  const { sid, jti } = claims(carol.accessToken);
  t.regex(jti, /^[0-9a-f-]{36}$/);
  t.is(await a.redis!.client.exists(key("session", sid)), 0);
  await on(b, carol).data(ME);
  const { rows } = await db.ownerPool.query<{ expires_at: Date }>("select expires_at from app_public.sessions where session_id = $1", [sid]);
  const ttl = await a.redis!.client.pttl(key("session", sid));
  const expectedTtl = rows[0]!.expires_at.getTime() - Date.now();
  t.true(ttl <= expectedTtl + 1000 && ttl > expectedTtl - 10_000, `TTL ${ttl} ms, session expires in ${expectedTtl} ms`);
  t.deepEqual(await a.redis!.client.smembers(key("session-index", carol.userId)), [sid]);

  const before = await checks(b);
  for (let i = 0; i < 5; i++) t.deepEqual(await on(b, carol).data(ME), { currentUser: { userId: carol.userId } });
  t.deepEqual(delta(before, await checks(b)), { memory: 0, redis: 5, database: 0 });
  // The other instance shares the key: its first check is a Redis hit too.
  const beforeA = await checks(a);
  await carol.client.data(ME);
  t.deepEqual(delta(beforeA, await checks(a)), { memory: 0, redis: 1, database: 0 });
});

redisSerialTest("forgetting a user (what an instance does at the commit of its own change) deletes their session keys before it resolves", async (t) => {
  await bothInUse();
  const carol = await register(a.url);
  const { sid } = claims(carol.accessToken);
  await on(b, carol).data(ME);
  t.is(await a.redis!.client.exists(key("session", sid)), 1);
  // Nothing changed in the database, so no notification: only forget() can delete the key.
  await a.credentials.forget(carol.userId);
  t.is(await a.redis!.client.exists(key("session", sid)), 0);
  t.is(await a.redis!.client.exists(key("session-index", carol.userId)), 0);
  t.is((await a.redis!.client.get(key("session-gen", carol.userId)))?.length, 36);
});

redisSerialTest("logout on one instance: the same token is refused on the other at once, from Redis's blacklist", async (t) => {
  await bothInUse();
  const carol = await register(a.url);
  const { sid, jti, exp } = claims(carol.accessToken);
  await on(b, carol).data(ME);
  t.is(await a.redis!.client.exists(key("session", sid)), 1);

  t.deepEqual(await carol.client.data("mutation { logout(input: {}) { result } }"), { logout: { result: true } });
  // No wait of any kind: the next request, on the other instance.
  const before = await checks(b);
  const refused = await on(b, carol).post(ME);
  t.is(refused.status, 401);
  t.deepEqual(refused.body.errors?.map((e: any) => [e.extensions?.code, e.message]), [["INVALID_TOKEN", "this token was revoked (logged out)"]]);
  t.deepEqual(delta(before, await checks(b)), { memory: 0, redis: 1, database: 0 });

  const blacklisted = await a.redis!.client.pttl(key("blacklist", "token", jti));
  t.true(blacklisted > 0 && blacklisted <= exp * 1000 - Date.now() + 1000, `blacklist TTL ${blacklisted} ms, token expires in ${exp * 1000 - Date.now()} ms`);
  t.is(await a.redis!.client.exists(key("session", sid)), 0);
  t.is((await carol.client.post(ME)).status, 401);
});

redisSerialTest("suspending an account through one instance refuses its token on the other at once", async (t) => {
  await bothInUse();
  const carol = await register(a.url);
  const { sid } = claims(carol.accessToken);
  await on(b, carol).data(ME);
  t.is(await a.redis!.client.exists(key("session", sid)), 1);

  await admin.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {accountStatus: suspended}}) { user { accountStatus } } }", { id: carol.userId });
  // Deleted by instance A before its answer left, not later by a notification.
  t.is(await a.redis!.client.exists(key("session", sid)), 0);
  t.deepEqual(await on(b, carol).errors(ME), [["ACCOUNT_INACTIVE", "this account is suspended"]]);
});

redisSerialTest("taking a role away through one instance refuses the token that names it on the other at once", async (t) => {
  await bothInUse();
  const carol = await register(a.url);
  await admin.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {role: operator}}) { user { role } } }", { id: carol.userId });
  const operator = withToken(b.url, await a.token(carol.userId, "operator", claims(carol.accessToken).sid));
  t.truthy((await operator.data("{ users { totalCount } }")).users);
  await admin.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {role: user}}) { user { role } } }", { id: carol.userId });
  const [[code]] = await operator.errors(ME);
  t.is(code, "FORBIDDEN_ROLE");
});

redisSerialTest("a session revoked in SQL leaves Redis through the notification, and both instances refuse it", async (t) => {
  await bothInUse();
  const carol = await register(a.url);
  const { sid } = claims(carol.accessToken);
  await Promise.all([carol.client.data(ME), on(b, carol).data(ME)]);
  t.is(await a.redis!.client.exists(key("session", sid)), 1);
  await db.ownerPool.query("update app_public.sessions set revoked_at = now() where user_id = $1", [carol.userId]);
  await gone(key("session", sid));
  for (const gateway of [a, b]) t.is((await on(gateway, carol).post(ME)).status, 401);
});

redisSerialTest("Redis going away or stalling: answers from memory and the database, revocation by NOTIFY, Redis again once back", async (t) => {
  await redisReady(proxied.redis);
  await proxied.credentials.redisInUse();
  const carol = await register(a.url);
  const dave = await register(a.url);
  for (const user of [carol, dave]) await on(proxied, user).data(ME);
  let before = await checks(proxied);
  await on(proxied, carol).data(ME);
  t.deepEqual(delta(before, await checks(proxied)), { memory: 0, redis: 1, database: 0 });

  proxy.cut();
  before = await checks(proxied);
  for (let i = 0; i < 3; i++) t.deepEqual(await on(proxied, carol).data(ME), { currentUser: { userId: carol.userId } });
  const during = delta(before, await checks(proxied));
  t.is(during.redis, 0);
  t.is(during.memory + during.database, 3);

  const forgotten = proxied.credentials.forgotten(carol.userId);
  t.deepEqual(await carol.client.data("mutation { logout(input: {}) { result } }"), { logout: { result: true } });
  await forgotten;
  const refused = await on(proxied, carol).post(ME);
  t.is(refused.status, 401);
  t.is(refused.body.errors?.[0]?.extensions?.code, "INVALID_TOKEN");

  proxy.restore();
  await proxied.credentials.redisInUse();
  await on(proxied, dave).data(ME);
  before = await checks(proxied);
  await on(proxied, dave).data(ME);
  t.deepEqual(delta(before, await checks(proxied)), { memory: 0, redis: 1, database: 0 });

  // A Redis that stops answering costs a request at most REDIS_COMMAND_TIMEOUT_MS (500 ms here), then none.
  proxy.stall();
  t.teardown(() => proxy.resume());
  for (let i = 0; i < 3; i++) {
    const started = Date.now();
    t.deepEqual(await on(proxied, dave).data(ME), { currentUser: { userId: dave.userId } });
    t.true(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`);
  }
  proxy.resume();
});

redisSerialTest("a database answer read before an invalidation is not written to Redis, whichever instance invalidated", async (t) => {
  // Two session caches as two instances would have them, on their own connections.
  const { redis: config } = loadConfigSections(["redis"], { NODE_ENV: "test", REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: `${prefix}-race` });
  const caches: SessionCache[] = [];
  for (let i = 0; i < 2; i++) {
    const redis = connectRedis(config, createLogger("silent"))!;
    t.teardown(() => redis.close());
    await redisReady(redis);
    const cache = createSessionCache({ redis, maxTtlS: 3600, log: createLogger("silent") });
    cache.listening(true);
    await cache.inUse();
    caches.push(cache);
  }
  const [one, other] = caches as [SessionCache, SessionCache];
  const userId = randomUUID();
  const state = { role: "user" as const, account_status: "active", session_active: true, session_expires_at: new Date(Date.now() + 600_000) };
  const sessionKey = (sessionId: string) => `${prefix}-race:session:${sessionId}`;
  const missed = async (cache: SessionCache, sessionId: string) => {
    const lookup = await cache.lookup(userId, sessionId, undefined);
    if (lookup?.kind !== "miss") throw new Error(`expected a miss, got ${JSON.stringify(lookup)}`);
    return lookup;
  };

  const [byOther, byItself, untouched] = [randomUUID(), randomUUID(), randomUUID()];
  let lookup = await missed(one, byOther);
  await other.invalidate(userId); // another instance, between this one's read and its write
  await lookup.store(state);
  t.is(await a.redis!.client.exists(sessionKey(byOther)), 0);

  lookup = await missed(one, byItself);
  await one.invalidate(userId); // this instance (e.g. its notification), same window
  await lookup.store(state);
  t.is(await a.redis!.client.exists(sessionKey(byItself)), 0);

  lookup = await missed(one, untouched);
  await lookup.store(state);
  t.is(await a.redis!.client.exists(sessionKey(untouched)), 1);
  t.like(await other.lookup(userId, untouched, undefined), { kind: "hit", state });
  await other.invalidate(userId);
  t.is(await a.redis!.client.exists(sessionKey(untouched)), 0);
});

test("without REDIS_URL there is no Redis tier: tokens with a session keep the memory path", async (t) => {
  const plain = await startTestGateway(db);
  t.teardown(() => plain.close());
  await plain.credentials.listening();
  await t.throwsAsync(plain.credentials.redisInUse(), { message: /no Redis tier/ });
  const carol = await register(plain.url);
  await carol.client.data(ME);
  const before = await checks(plain);
  await carol.client.data(ME);
  t.deepEqual(delta(before, await checks(plain)), { memory: 1, redis: 0, database: 0 });
});
