// An external identity provider: with JWKS_URL set, RS256/ES256 tokens signed by the provider's
// keys are accepted (issuer and audience checked), the key set is fetched and cached, and our
// own HS256 tokens keep working.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { createUser } from "../helpers/fixtures.ts";

const keys: JWK[] = [];
let jwksRequests = 0;
const provider = http.createServer((_req, res) => {
  jwksRequests++;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ keys }));
});
await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
let userId: string;
const jwksUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/.well-known/jwks.json`;

// The provider publishes its keys before issuing tokens with them.
const signRs = await providerKey("RS256", "key-1");
const signEs = await providerKey("ES256", "key-2");

const ctx = useTestGateway({ JWKS_URL: jwksUrl, JWT_ISSUER: "https://idp.example.com/", JWT_AUDIENCE: "spendgate-api" }, async ({ db }) => {
  userId = await createUser(db.ownerPool, { email: "external@example.com" });
});
test.after.always(() => provider.close());

async function providerKey(alg: "RS256" | "ES256", kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  keys.push({ ...(await exportJWK(publicKey)), kid, alg, use: "sig" });
  return (claims: Record<string, unknown> = {}, iss = "https://idp.example.com/") =>
    new SignJWT({ role: "user", ...claims })
      .setProtectedHeader({ alg, kid })
      .setSubject(userId)
      .setIssuer(iss)
      .setAudience("spendgate-api")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
}

const me = (token: string) => ctx.gateway.graphql("{ users { nodes { email } } }", {}, { authorization: `Bearer ${token}` });

test.serial("RS256 and ES256 tokens of the provider are accepted; its key set is fetched once and cached", async (t) => {
  for (const sign of [signRs, signEs, signRs, signEs]) {
    const response = await me(await sign());
    t.is(response.status, 200);
    t.deepEqual(response.body.data, { users: { nodes: [{ email: "external@example.com" }] } });
  }
  t.is(jwksRequests, 1);
});

test.serial("a provider token with the wrong issuer, an unknown key id or a forged signature is a 401", async (t) => {
  const wrongIssuer = await me(await signRs({}, "https://evil.example.com/"));
  t.is(wrongIssuer.status, 401);
  t.is(wrongIssuer.body.errors[0].message, "token claim iss is invalid");
  const { privateKey } = await generateKeyPair("RS256");
  const forge = (kid: string) =>
    new SignJWT({ role: "user" }).setProtectedHeader({ alg: "RS256", kid }).setSubject(userId).setIssuer("https://idp.example.com/").setAudience("spendgate-api").setIssuedAt().setExpirationTime("5m").sign(privateKey);
  const forged = await me(await forge("key-1"));
  t.is(forged.status, 401);
  t.is(forged.body.errors[0].message, "token signature is invalid");
  const unknownKey = await me(await forge("no-such-key"));
  t.is(unknownKey.status, 401);
  t.is(unknownKey.body.errors[0].message, "no key of the identity provider matches this token");
});

test.serial("our own HS256 tokens still work next to the provider's", async (t) => {
  t.is((await me(await ctx.gateway.token(userId))).status, 200);
});
