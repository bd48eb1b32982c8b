// The credential cache (src/auth/credentialCache.ts) across two gateway instances on one
// database: each instance answers credential checks from memory once warm, and a logout,
// revocation, suspension or role change made through the other instance (or by plain SQL) takes
// effect on it as soon as the database's notification has reached it (each test waits for that
// event, not for a guessed delay; the notification arrives a moment after the commit).
import test from "ava";
import { hashApiKey } from "../../src/auth/apiKeys.ts";
import { createCredentialStore } from "../../src/auth/credentialCache.ts";
import { createLogger } from "../../src/logger.ts";
import { bootstrapAdmin, createApiKey, promote, register, withApiKey, withToken, type Account } from "../api/client.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let db: TestDatabase;
let a: TestGateway;
let b: TestGateway;
let admin: Account;

test.before(async () => {
  db = await createTestDatabase();
  [a, b] = await Promise.all([startTestGateway(db), startTestGateway(db)]);
  await Promise.all([a, b].map((gateway) => gateway.credentials.listening()));
  admin = await bootstrapAdmin(a.url, db.ownerUrl);
});
test.after.always(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await db?.drop();
});

const ME = "{ currentUser { userId } }";
const onB = (account: Account) => withToken(b.url, account.accessToken);

/** The credential checks instance `gateway` answered from memory and from the database so far. */
async function checks(gateway: TestGateway): Promise<{ memory: number; database: number }> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const read = (source: string) => Number(new RegExp(`^spendgate_credential_checks_total\\{source="${source}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { memory: read("memory"), database: read("database") };
}

test.serial("a warm instance checks a token from memory, without a database round trip", async (t) => {
  const carol = await register(a.url);
  await onB(carol).data(ME);
  const before = await checks(b);
  for (let i = 0; i < 5; i++) t.deepEqual(await onB(carol).data(ME), { currentUser: { userId: carol.userId } });
  const after = await checks(b);
  t.is(after.database - before.database, 0);
  t.is(after.memory - before.memory, 5);
});

test.serial("logout on one instance ends the token on the other once the notification arrives", async (t) => {
  const carol = await register(a.url);
  await onB(carol).data(ME);
  const forgotten = b.credentials.forgotten(carol.userId);
  t.deepEqual(await carol.client.data("mutation { logout(input: {}) { result } }"), { logout: { result: true } });
  await forgotten;
  const refused = await onB(carol).post(ME);
  t.is(refused.status, 401);
  t.is(refused.body.errors?.[0]?.extensions?.code, "INVALID_TOKEN");
});

test.serial("a session revoked by SQL (e.g. refresh-token reuse) ends the token on both instances", async (t) => {
  const carol = await register(a.url);
  await Promise.all([carol.client.data(ME), onB(carol).data(ME)]);
  const forgotten = Promise.all([a, b].map((gateway) => gateway.credentials.forgotten(carol.userId)));
  await db.ownerPool.query("update app_public.sessions set revoked_at = now() where user_id = $1", [carol.userId]);
  await forgotten;
  for (const gateway of [a, b]) t.is((await withToken(gateway.url, carol.accessToken).post(ME)).status, 401);
});

test.serial("suspending an account through one instance refuses its token and its API key on the other", async (t) => {
  const carol = await register(a.url);
  const key = await createApiKey(carol);
  await Promise.all([onB(carol).data(ME), withApiKey(b.url, key.apiKey).data(ME)]);
  const forgotten = b.credentials.forgotten(carol.userId);
  await admin.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {accountStatus: suspended}}) { user { accountStatus } } }", { id: carol.userId });
  await forgotten;
  t.deepEqual(await onB(carol).errors(ME), [["ACCOUNT_INACTIVE", "this account is suspended"]]);
  t.deepEqual(await withApiKey(b.url, key.apiKey).errors(ME), [["ACCOUNT_INACTIVE", "this account is suspended"]]);
});

test.serial("taking a role away through one instance refuses the token that names it on the other", async (t) => {
  const carol = await promote(admin, await register(a.url), "operator");
  t.truthy((await onB(carol).data("{ users { totalCount } }")).users);
  const forgotten = b.credentials.forgotten(carol.userId);
  await admin.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {role: user}}) { user { role } } }", { id: carol.userId });
  await forgotten;
  const [[code]] = await onB(carol).errors(ME);
  t.is(code, "FORBIDDEN_ROLE");
});

test.serial("revoking an API key through one instance refuses it on the other", async (t) => {
  const carol = await register(a.url);
  const key = await createApiKey(carol);
  await withApiKey(b.url, key.apiKey).data(ME);
  const forgotten = b.credentials.forgotten(carol.userId);
  await carol.client.data("mutation($id: BigInt!) { revokeApiKey(input: {apiKeyId: $id}) { apiKey { status } } }", { id: key.apiKeyId });
  await forgotten;
  t.deepEqual(await withApiKey(b.url, key.apiKey).errors(ME), [["REVOKED_API_KEY", "this API key has been revoked"]]);
});

test.serial("a cached session or API key that reaches its expiry is refused by the clock, without a notification", async (t) => {
  const carol = await register(a.url);
  const key = await createApiKey(carol);
  const { rows } = await db.ownerPool.query("update app_public.api_keys set expires_at = now() + interval '1 hour' where id = $1 returning expires_at", [key.apiKeyId]);
  let now = Date.now();
  const store = createCredentialStore({ pool: db.ownerPool, listenUrl: db.ownerUrl, maxEntries: 10, log: createLogger("silent"), now: () => now });
  t.teardown(() => store.close());
  await store.listening();
  const sessionId = (await db.ownerPool.query("select session_id, expires_at from app_public.sessions where user_id = $1", [carol.userId])).rows[0];
  t.like(await store.account({ userId: carol.userId, sessionId: sessionId.session_id }), { session_active: true });
  t.is((await store.apiKey(hashApiKey(key.apiKey)))!.key_status, "active");
  now = sessionId.expires_at.getTime() + 1;
  const [account, apiKey] = [await store.account({ userId: carol.userId, sessionId: sessionId.session_id }), await store.apiKey(hashApiKey(key.apiKey))];
  t.like(account, { session_active: false });
  t.true(now > rows[0].expires_at.getTime());
  t.is(apiKey!.key_status, "expired");
  t.deepEqual(store.stats(), { hits: 2, redisHits: 0, misses: 2, invalidations: 0 });
});
