// API key lifecycle through HTTP: created once in plain, stored as a hash, authenticates as its
// user, counted, revoked.
import { createHash } from "node:crypto";
import test from "ava";
import { startTestGateway, useTestGateway } from "../helpers/gateway.ts";
import { createUser } from "../helpers/users.ts";

let userId: string;
let adminId: string;
const ctx = useTestGateway({}, async ({ db }) => {
  userId = await createUser(db.ownerPool, "keys@example.com");
  adminId = await createUser(db.ownerPool, "keys-admin@example.com", "admin");
});

const create = async (name: string) =>
  ctx.gateway.graphql("mutation($name: String!) { createApiKey(input: {name: $name}) { apiKey apiKeyId keyPrefix } }", { name }, await ctx.gateway.as(userId));

test.serial("createApiKey returns the plain key once; only its SHA-256 is stored", async (t) => {
  const { apiKey, apiKeyId, keyPrefix } = (await create("agent-1")).body.data.createApiKey;
  t.regex(apiKey, /^sg_live_[A-Za-z0-9_-]{43}$/);
  t.true(apiKey.startsWith(keyPrefix));
  const { rows } = await ctx.db.ownerPool.query("select key_hash from app_public.api_keys where id = $1", [apiKeyId]);
  t.is(rows[0].key_hash, createHash("sha256").update(apiKey).digest("hex"));
  const listed = await ctx.gateway.graphql("{ apiKeys { nodes { name keyPrefix status } } }", {}, await ctx.gateway.as(userId));
  t.deepEqual(listed.body.data.apiKeys.nodes, [{ name: "agent-1", keyPrefix, status: "active" }]);
  t.false(JSON.stringify(listed.body).includes(apiKey));
});

test.serial("X-API-Key authenticates as the key's user, and uses are counted in batches", async (t) => {
  const { apiKey, apiKeyId } = (await create("agent-2")).body.data.createApiKey;
  for (let i = 0; i < 3; i++) {
    const response = await ctx.gateway.graphql("{ users { nodes { email } } }", {}, { "x-api-key": apiKey });
    t.deepEqual(response.body.data, { users: { nodes: [{ email: "keys@example.com" }] } });
  }
  await ctx.gateway.close(); // shutdown flushes the pending usage counts
  const { rows } = await ctx.db.ownerPool.query("select usage_count, last_used_at from app_public.api_keys where id = $1", [apiKeyId]);
  t.is(rows[0].usage_count, "3");
  t.truthy(rows[0].last_used_at);
  ctx.gateway = await startTestGateway(ctx.db);
});

test.serial("a revoked key is refused with 401, and cannot be reactivated", async (t) => {
  const { apiKey, apiKeyId } = (await create("agent-3")).body.data.createApiKey;
  const revoked = await ctx.gateway.graphql("mutation($id: BigInt!) { revokeApiKey(input: {apiKeyId: $id}) { apiKey { status revokedAt } } }", { id: apiKeyId }, await ctx.gateway.as(userId));
  t.is(revoked.body.data.revokeApiKey.apiKey.status, "revoked");
  t.truthy(revoked.body.data.revokeApiKey.apiKey.revokedAt);
  const refused = await ctx.gateway.graphql("{ version }", {}, { "x-api-key": apiKey });
  t.is(refused.status, 401);
  t.deepEqual(refused.body.errors, [{ message: "this API key has been revoked", extensions: { code: "REVOKED_API_KEY" } }]);
  const reactivate = await ctx.gateway.graphql("mutation($id: BigInt!) { updateApiKey(input: {apiKeyId: $id, patch: {status: active}}) { apiKey { status } } }", { id: apiKeyId }, await ctx.gateway.as(userId));
  t.is(reactivate.body.errors[0].extensions.code, "SGRVK");
});

test.serial("a key past its expiry (set by an admin) is refused with 401 saying it expired, not revoked", async (t) => {
  const { apiKey, apiKeyId } = (await create("agent-expiring")).body.data.createApiKey;
  t.is((await ctx.gateway.graphql("{ version }", {}, { "x-api-key": apiKey })).status, 200, "works before its expiry");
  const expire = await ctx.gateway.graphql(
    "mutation($id: BigInt!, $at: Datetime!) { updateApiKey(input: {apiKeyId: $id, patch: {expiresAt: $at}}) { apiKey { status expiresAt } } }",
    { id: apiKeyId, at: new Date(Date.now() - 1000).toISOString() },
    await ctx.gateway.as(adminId, "admin"),
  );
  t.is(expire.body.errors, undefined);
  t.is(expire.body.data.updateApiKey.apiKey.status, "active", "expiry is a time, not a status change");
  const refused = await ctx.gateway.graphql("{ version }", {}, { "x-api-key": apiKey });
  t.is(refused.status, 401);
  t.deepEqual(refused.body.errors, [{ message: "this API key has expired", extensions: { code: "EXPIRED_API_KEY" } }]);
  t.regex(refused.headers.get("www-authenticate") ?? "", /this API key has expired/);
});

test.serial("an unknown key and a key of a soft-deleted user are refused with 401", async (t) => {
  const unknown = await ctx.gateway.graphql("{ version }", {}, { "x-api-key": "sg_live_unknown" });
  t.is(unknown.status, 401);
  t.is(unknown.body.errors[0].extensions.code, "INVALID_API_KEY");
  const otherId = await createUser(ctx.db.ownerPool, "leaving@example.com");
  const { apiKey } = (await ctx.gateway.graphql("mutation { createApiKey(input: {name: \"k\"}) { apiKey } }", {}, await ctx.gateway.as(otherId))).body.data.createApiKey;
  await ctx.db.ownerPool.query("update app_public.users set deleted_at = now() where user_id = $1", [otherId]);
  t.is((await ctx.gateway.graphql("{ version }", {}, { "x-api-key": apiKey })).status, 401);
});

test.serial("sending both an Authorization header and an X-API-Key is refused", async (t) => {
  const response = await ctx.gateway.graphql("{ version }", {}, { ...(await ctx.gateway.as(userId)), "x-api-key": "sg_live_x" });
  t.is(response.status, 401);
  t.regex(response.body.errors[0].message, /either an Authorization header or an X-API-Key header/);
});
