// Access tokens (JWT, jose). We sign HS256 with JWT_SECRET; we accept HS256 tokens of our own
// and, when JWKS_URL is set, RS256/ES256 tokens of an external identity provider whose keys are
// fetched and cached by jose. Algorithms are pinned per key source, never read from the token
// header, so `alg: none` and algorithm-confusion tokens are rejected.
import { randomUUID } from "node:crypto";
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { JwtConfig } from "../config.ts";
import { AuthError } from "./errors.ts";
import { createHs256Verifier } from "./hs256.ts";

export const CLOCK_TOLERANCE_S = 30;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const TOKEN_ROLES = ["user", "operator", "admin"] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface AccessClaims {
  userId: string;
  role: TokenRole;
  sessionId?: string;
}

/** What a verified token says: its claims, plus its id (jti) and expiry, which name it for revocation. */
export interface VerifiedClaims extends AccessClaims {
  /** The token's `jti`: our tokens carry a random one (logout blacklists it in Redis); older or external tokens may not. */
  tokenId?: string;
  /** The token's `exp`, in seconds since the epoch. */
  expiresAtS: number;
  /** The instant (ms) after which the token is no longer accepted: exp plus the clock tolerance. */
  acceptedUntil: number;
}

export interface TokenService {
  /** Lifetime of refresh tokens (sessions), in seconds. */
  readonly refreshTokenTtlS: number;
  sign(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }>;
  verify(token: string): Promise<VerifiedClaims>;
}

export function createTokenService(config: JwtConfig, secret: Uint8Array): TokenService {
  const { issuer, audience, accessTokenTtlS } = config;
  const verifyHs256 = createHs256Verifier(secret, { issuer, audience, clockToleranceS: CLOCK_TOLERANCE_S });
  const jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 }) : undefined;

  return {
    refreshTokenTtlS: config.refreshTokenTtlS,

    async sign({ userId, role, sessionId }) {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ role, ...(sessionId ? { sid: sessionId } : {}) })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + accessTokenTtlS)
        .sign(secret);
      return { token, expiresAt: new Date((now + accessTokenTtlS) * 1000) };
    },

    async verify(token) {
      const options = { issuer, audience, clockTolerance: CLOCK_TOLERANCE_S, requiredClaims: ["sub", "exp", "iat"] };
      let payload: JWTPayload;
      try {
        const header = decodeHeaderAlg(token);
        if (header === "HS256") payload = verifyHs256(token, Math.floor(Date.now() / 1000));
        else if (jwks && (header === "RS256" || header === "ES256")) payload = (await jwtVerify(token, jwks, { ...options, algorithms: ["RS256", "ES256"] })).payload;
        else throw new AuthError("INVALID_TOKEN", `unsupported token algorithm ${JSON.stringify(header)}`);
      } catch (error) {
        throw toAuthError(error);
      }
      // jose only checks iat against maxTokenAge; a token "issued" in the future is not valid yet.
      if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_S) {
        throw new AuthError("INVALID_TOKEN", "token is not yet valid (issued in the future)");
      }
      return claimsFrom(payload);
    },
  };
}

/** The header's alg only chooses which pinned verifier to try; each verifier pins its own list. */
function decodeHeaderAlg(token: string): unknown {
  const [header] = token.split(".");
  try {
    return (JSON.parse(Buffer.from(header ?? "", "base64url").toString("utf8")) as { alg?: unknown }).alg;
  } catch {
    throw new AuthError("INVALID_TOKEN", "malformed token");
  }
}

/** Longer ids are not used as Redis keys (they would be an external provider's, not ours). */
const MAX_TOKEN_ID_LENGTH = 128;

function claimsFrom(payload: JWTPayload): VerifiedClaims {
  const { sub, role, sid, jti, exp } = payload as JWTPayload & { role?: unknown; sid?: unknown };
  if (typeof sub !== "string" || !UUID.test(sub)) throw new AuthError("INVALID_TOKEN", "token subject (sub) must be a user id (uuid)");
  if (typeof role !== "string" || !(TOKEN_ROLES as readonly string[]).includes(role)) {
    throw new AuthError("INVALID_TOKEN", `token role must be one of ${TOKEN_ROLES.join(", ")}`);
  }
  if (sid !== undefined && (typeof sid !== "string" || !UUID.test(sid))) throw new AuthError("INVALID_TOKEN", "token session id (sid) must be a uuid");
  const tokenId = typeof jti === "string" && jti.length > 0 && jti.length <= MAX_TOKEN_ID_LENGTH ? jti : undefined;
  return { userId: sub, role: role as TokenRole, sessionId: sid as string | undefined, tokenId, expiresAtS: exp!, acceptedUntil: (exp! + CLOCK_TOLERANCE_S) * 1000 };
}

function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof joseErrors.JWTExpired) return new AuthError("TOKEN_EXPIRED", "token has expired");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "nbf" || error.claim === "iat") return new AuthError("INVALID_TOKEN", "token is not yet valid");
    return new AuthError("INVALID_TOKEN", `token claim ${error.claim} is invalid`);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new AuthError("INVALID_TOKEN", "token signature is invalid");
  if (error instanceof joseErrors.JWKSNoMatchingKey) return new AuthError("INVALID_TOKEN", "no key of the identity provider matches this token");
  if (error instanceof joseErrors.JOSEError) return new AuthError("INVALID_TOKEN", "token is malformed or not verifiable");
  return new AuthError("INVALID_TOKEN", "token is malformed");
}
