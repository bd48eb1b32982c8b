// The JWT checklist (after PostgREST's JWT spec tests): every bad token is a 401 with a clear
// JSON error, never a silent downgrade to the anonymous role.
import { generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import test from "ava";
import { TEST_JWT_SECRET, useTestGateway } from "../helpers/gateway.ts";
import { createUser } from "../helpers/users.ts";

let userId: string;
const ctx = useTestGateway({}, async ({ db }) => {
  userId = await createUser(db.ownerPool, "jwt@example.com");
});
const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);


const ownEmail = "{ users { nodes { email } } }";

function token(claims: Record<string, unknown> = {}, options: { exp?: number; iat?: number; nbf?: number; iss?: string; aud?: string } = {}) {
  const jwt = new SignJWT({ role: "user", ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(options.iss ?? "spendgate")
    .setAudience(options.aud ?? "spendgate")
    .setIssuedAt(options.iat ?? now())
    .setExpirationTime(options.exp ?? now() + 300);
  if (claims.sub !== null) jwt.setSubject((claims.sub as string | undefined) ?? userId);
  if (options.nbf) jwt.setNotBefore(options.nbf);
  return jwt.sign(secret);
}

async function rejects(t: any, bearer: string, message: RegExp, code = "INVALID_TOKEN") {
  const response = await ctx.gateway.graphql(ownEmail, {}, { authorization: `Bearer ${bearer}` });
  t.is(response.status, 401);
  t.is(response.headers.get("www-authenticate")?.startsWith('Bearer error="invalid_token"'), true);
  t.is(response.body.data, undefined, "no data at all, not an anonymous answer");
  t.is(response.body.errors?.[0]?.extensions?.code, code);
  t.regex(response.body.errors?.[0]?.message ?? "", message);
}

test("a valid token reads the user's own row", async (t) => {
  const response = await ctx.gateway.graphql(ownEmail, {}, { authorization: `Bearer ${await token()}` });
  t.is(response.status, 200);
  t.deepEqual(response.body.data, { users: { nodes: [{ email: "jwt@example.com" }] } });
});

test("without credentials the request is anonymous, which may not read users at all", async (t) => {
  const response = await ctx.gateway.graphql(ownEmail);
  t.is(response.status, 200);
  t.deepEqual(response.body.data, { users: null });
  t.is(response.body.errors?.[0]?.extensions?.code, "SGDNY");
});

test("fails with an expired token", async (t) => {
  await rejects(t, await token({}, { iat: now() - 600, exp: now() - 120 }), /token has expired/, "TOKEN_EXPIRED");
});

test("accepts a token expired within the 30 s clock skew allowance", async (t) => {
  const response = await ctx.gateway.graphql(ownEmail, {}, { authorization: `Bearer ${await token({}, { iat: now() - 600, exp: now() - 10 })}` });
  t.is(response.status, 200);
});

test("fails with a token that is not yet valid (nbf beyond the skew)", async (t) => {
  await rejects(t, await token({}, { nbf: now() + 120 }), /not yet valid/);
});

test("fails with a token issued in the future (iat beyond the skew)", async (t) => {
  await rejects(t, await token({}, { iat: now() + 120 }), /not yet valid|iat/);
});

test("fails with a wrong signature", async (t) => {
  const other = await new SignJWT({ role: "user" }).setProtectedHeader({ alg: "HS256" }).setSubject(userId).setIssuer("spendgate").setAudience("spendgate").setIssuedAt().setExpirationTime("5m").sign(new TextEncoder().encode("another-secret-that-is-long-enough-0123456789"));
  await rejects(t, other, /signature is invalid/);
});

test("fails with alg none", async (t) => {
  const unsecured = new UnsecuredJWT({ role: "user", sub: userId }).setIssuer("spendgate").setAudience("spendgate").setIssuedAt().setExpirationTime("5m").encode();
  await rejects(t, unsecured, /unsupported token algorithm "none"/);
});

test("fails with an RS256 token when no JWKS_URL is configured (no algorithm confusion)", async (t) => {
  const { privateKey } = await generateKeyPair("RS256");
  const rs = await new SignJWT({ role: "user" }).setProtectedHeader({ alg: "RS256" }).setSubject(userId).setIssuer("spendgate").setAudience("spendgate").setIssuedAt().setExpirationTime("5m").sign(privateKey);
  await rejects(t, rs, /unsupported token algorithm "RS256"/);
});

test("fails with a wrong audience or issuer", async (t) => {
  await rejects(t, await token({}, { aud: "someone-else" }), /claim aud is invalid/);
  await rejects(t, await token({}, { iss: "evil" }), /claim iss is invalid/);
});

test("fails with claims of the wrong type", async (t) => {
  await rejects(t, await token({ role: 7 }), /token role must be one of user, operator, admin/);
  await rejects(t, await token({ role: "superuser" }), /token role must be one of/);
  await rejects(t, await token({ sub: "not-a-uuid" }), /sub\) must be a user id/);
  await rejects(t, await token({ sub: null }), /sub|missing/);
});

test("fails with malformed tokens and headers", async (t) => {
  await rejects(t, "abc.def.ghi", /malformed/);
  await rejects(t, "only-one-part", /malformed/);
  const response = await ctx.gateway.graphql(ownEmail, {}, { authorization: "Basic dXNlcjpwYXNz" });
  t.is(response.status, 401);
  t.regex(response.body.errors[0].message, /Authorization header must be `Bearer <token>`/);
});

test("fails for a user that does not exist or was soft-deleted", async (t) => {
  await rejects(t, await token({ sub: "00000000-0000-4000-8000-000000000000" }), /does not exist or was deleted/, "UNKNOWN_USER");
  const goneId = await createUser(ctx.db.ownerPool, "gone@example.com");
  await ctx.db.ownerPool.query("update app_public.users set deleted_at = now() where user_id = $1", [goneId]);
  await rejects(t, await token({ sub: goneId }), /does not exist or was deleted/, "UNKNOWN_USER");
});

test("fails for a suspended user", async (t) => {
  const suspendedId = await createUser(ctx.db.ownerPool, "suspended@example.com");
  await ctx.db.ownerPool.query("update app_public.users set account_status = 'suspended' where user_id = $1", [suspendedId]);
  await rejects(t, await token({ sub: suspendedId }), /account is suspended/, "ACCOUNT_INACTIVE");
});

test("fails when the token names a role the user does not have", async (t) => {
  await rejects(t, await token({ role: "admin" }), /names role admin, which this user does not have/, "FORBIDDEN_ROLE");
});

test.serial("a bad token takes no connection from the API pool", async (t) => {
  const poolMetric = async () => {
    const text = await (await fetch(`${ctx.gateway.url}/metrics`)).text();
    return Number(/spendgate_db_pool_connections_total\{pool="api"\} (\d+)/.exec(text)![1]);
  };
  const before = await poolMetric();
  await Promise.all(Array.from({ length: 20 }, () => ctx.gateway.graphql(ownEmail, {}, { authorization: "Bearer x.y.z" })));
  t.is(await poolMetric(), before);
});
