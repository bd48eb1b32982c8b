// HS256 verification with node:crypto, for our own access tokens: a synchronous HMAC over a key
// object made once, about 10 us per token, where jose's WebCrypto path re-imports the key on
// every call and takes 60-70 us (12% of the gateway's CPU under load). jose still signs, and
// verifies the identity provider's RS256/ES256 tokens (./tokens.ts). The checks are jose's, with
// our options: alg pinned, no `crit`, exp and iat required, nbf, iss and aud, with clock tolerance.
// The signature is compared as its canonical base64url text, in constant time, so a token whose
// signature has a non-canonical last character is refused (jose would accept it).
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import type { JWTPayload } from "jose";
import { AuthError } from "./errors.ts";

export interface Hs256Options {
  issuer: string;
  audience: string;
  clockToleranceS: number;
}

export type Hs256Verifier = (token: string, nowS: number) => JWTPayload;

export function createHs256Verifier(secret: Uint8Array, { issuer, audience, clockToleranceS }: Hs256Options): Hs256Verifier {
  const key: KeyObject = createSecretKey(secret);
  return (token, nowS) => {
    const parts = token.split(".");
    if (parts.length !== 3) throw new AuthError("INVALID_TOKEN", "token is malformed or not verifiable");
    const [header, payload, signature] = parts as [string, string, string];
    const protectedHeader = parseJson(header);
    if (protectedHeader.alg !== "HS256" || protectedHeader.crit !== undefined || protectedHeader.b64 !== undefined) {
      throw new AuthError("INVALID_TOKEN", "token is malformed or not verifiable");
    }
    const expected = Buffer.from(createHmac("sha256", key).update(`${header}.${payload}`).digest("base64url"));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AuthError("INVALID_TOKEN", "token signature is invalid");
    const claims = parseJson(payload) as JWTPayload;
    for (const claim of ["exp", "iat", "nbf"] as const) {
      if (claims[claim] !== undefined && (typeof claims[claim] !== "number" || !Number.isFinite(claims[claim]))) invalid(claim);
    }
    if (claims.exp === undefined) invalid("exp");
    if (claims.iat === undefined) invalid("iat");
    if (claims.sub === undefined) invalid("sub");
    if (claims.exp! <= nowS - clockToleranceS) throw new AuthError("TOKEN_EXPIRED", "token has expired");
    if (claims.nbf !== undefined && claims.nbf > nowS + clockToleranceS) throw new AuthError("INVALID_TOKEN", "token is not yet valid");
    if (claims.iss !== issuer) invalid("iss");
    if (!(claims.aud === audience || (Array.isArray(claims.aud) && claims.aud.includes(audience)))) invalid("aud");
    return claims;
  };
}

function invalid(claim: string): never {
  throw new AuthError("INVALID_TOKEN", `token claim ${claim} is invalid`);
}

function parseJson(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw new AuthError("INVALID_TOKEN", "token is malformed");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new AuthError("INVALID_TOKEN", "token is malformed");
  return value as Record<string, unknown>;
}
