// Our HS256 verifier (src/auth/hs256.ts) against tokens jose signs: the same answers as jose's
// jwtVerify with our options, and stricter where jose is lenient (non-canonical signatures).
import { createHmac } from "node:crypto";
import test from "ava";
import { SignJWT } from "jose";
import { createHs256Verifier } from "../../src/auth/hs256.ts";

const secret = new TextEncoder().encode("test-secret-that-is-long-enough-for-hs256-0123456789");
const verify = createHs256Verifier(secret, { issuer: "spendgate", audience: "spendgate", clockToleranceS: 30 });
const NOW = 1_900_000_000;
const SUB = "8d1a3c52-3f1e-4bde-9a77-2f6d0c1a0b01";

async function sign(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ role: "user", sub: SUB, iss: "spendgate", aud: "spendgate", iat: NOW, exp: NOW + 900, ...claims })
    .setProtectedHeader({ alg: "HS256", ...header })
    .sign(secret);
}

async function refuses(t: import("ava").ExecutionContext, token: Promise<string>, expectation: { message: string | RegExp }): Promise<void> {
  const signed = await token;
  t.throws(() => verify(signed, NOW), expectation);
}

test("accepts a valid token and returns its claims; aud may be a list that includes ours", async (t) => {
  t.like(verify(await sign(), NOW), { sub: SUB, role: "user" });
  t.like(verify(await sign({ aud: ["other", "spendgate"] }), NOW), { sub: SUB });
});

test("expiry, not-before and the clock tolerance of 30 s", async (t) => {
  t.truthy(verify(await sign({ exp: NOW - 29 }), NOW));
  await refuses(t, sign({ exp: NOW - 30 }), { message: "token has expired" });
  await refuses(t, sign({ nbf: NOW + 31 }), { message: "token is not yet valid" });
  t.truthy(verify(await sign({ nbf: NOW + 30 }), NOW));
});

test("required and typed claims, issuer and audience", async (t) => {
  await refuses(t, sign({ exp: undefined }), { message: "token claim exp is invalid" });
  await refuses(t, sign({ iat: undefined }), { message: "token claim iat is invalid" });
  await refuses(t, sign({ sub: undefined }), { message: "token claim sub is invalid" });
  await refuses(t, sign({ exp: "soon" }), { message: "token claim exp is invalid" });
  await refuses(t, sign({ iss: "evil" }), { message: "token claim iss is invalid" });
  await refuses(t, sign({ aud: "other" }), { message: "token claim aud is invalid" });
});

test("refuses other algorithms in the header, crit, a wrong key and a non-canonical signature", async (t) => {
  // jose will not sign a crit it does not know: sign this one by hand.
  const body = (await sign()).split(".")[1]!;
  const critHeader = Buffer.from(JSON.stringify({ alg: "HS256", crit: ["x-extension"], "x-extension": 1 })).toString("base64url");
  const critSignature = createHmac("sha256", secret).update(`${critHeader}.${body}`).digest("base64url");
  t.throws(() => verify(`${critHeader}.${body}.${critSignature}`, NOW), { message: /malformed/ });
  const other = await new SignJWT({ sub: SUB, iss: "spendgate", aud: "spendgate", iat: NOW, exp: NOW + 900 })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode("another-secret-that-is-long-enough-0123456789"));
  t.throws(() => verify(other, NOW), { message: "token signature is invalid" });
  const token = await sign();
  // The signature's 43rd character carries 2 padding bits: a different character with the same
  // 4 leading bits decodes to the same bytes; it is still not the token that was signed.
  const last = token.at(-1)!;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
  t.throws(() => verify(token.slice(0, -1) + twin, NOW), { message: "token signature is invalid" });
  t.throws(() => verify("a.b", NOW), { message: /malformed/ });
  t.throws(() => verify(`${token.split(".")[0]}.bm90IGpzb24.${token.split(".")[2]}`, NOW), { message: /signature is invalid|malformed/ });
});
