// Turns a request's credentials into an Identity, or a 401 AuthError. No credentials: anonymous.
// A JWT is verified cryptographically first (a bad token never touches the database), then the
// user behind it is checked (exists, not soft-deleted, active, really has the role the token
// names, session not revoked); an API key is looked up by its SHA-256 hash. Both checks go
// through the credential cache (./credentialCache.ts), which normally answers from memory (or, for
// tokens with a session when REDIS_URL is set, from Redis, where logout also blacklists the token).
import type { IncomingHttpHeaders } from "node:http";
import { TOKEN_REVOKED, type CredentialStore } from "./credentialCache.ts";
import { ANONYMOUS, type ApiRole, type Identity } from "./identity.ts";
import { hashApiKey, type ApiKeyUsage } from "./apiKeys.ts";
import { AuthError } from "./errors.ts";
import { TOKEN_ROLES, type TokenRole, type TokenService } from "./tokens.ts";

const API_ROLE: Record<TokenRole, ApiRole> = { user: "spendgate_user", operator: "spendgate_operator", admin: "spendgate_admin" };

export interface AuthenticatorDeps {
  tokens: TokenService;
  credentials: CredentialStore;
  usage: ApiKeyUsage;
}

export type Authenticate = (headers: IncomingHttpHeaders) => Promise<Identity>;

export function createAuthenticate({ tokens, credentials, usage }: AuthenticatorDeps): Authenticate {
  return async (headers) => {
    const authorization = headers.authorization;
    const apiKey = headers["x-api-key"];
    if (authorization !== undefined && apiKey !== undefined) {
      throw new AuthError("INVALID_TOKEN", "send either an Authorization header or an X-API-Key header, not both");
    }
    const identity = authorization !== undefined ? await fromBearer(authorization) : apiKey !== undefined ? await fromApiKey(apiKey) : ANONYMOUS;
    const includeDeleted = headers["x-include-deleted"];
    if (includeDeleted === "true") {
      if (identity.role !== "spendgate_admin") throw new AuthError("FORBIDDEN_ROLE", "X-Include-Deleted is only allowed for admins");
      return { ...identity, includeDeleted: true };
    }
    return identity;
  };

  async function fromBearer(header: string): Promise<Identity> {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header.trim());
    if (!match) throw new AuthError("INVALID_TOKEN", "Authorization header must be `Bearer <token>`");
    const claims = await tokens.verify(match[1]!);
    const account = await credentials.account(claims);
    if (account === TOKEN_REVOKED) throw new AuthError("INVALID_TOKEN", "this token was revoked (logged out)");
    if (!account) throw new AuthError("UNKNOWN_USER", "the user of this token does not exist or was deleted");
    assertActive(account.account_status);
    if (account.session_active === false) throw new AuthError("INVALID_TOKEN", "the session of this token has ended (logged out or revoked)");
    if (TOKEN_ROLES.indexOf(claims.role) > TOKEN_ROLES.indexOf(account.role)) {
      throw new AuthError("FORBIDDEN_ROLE", `the token names role ${claims.role}, which this user does not have`);
    }
    return { role: API_ROLE[claims.role], userId: claims.userId, sessionId: claims.sessionId, tokenId: claims.tokenId, tokenExpiresAtS: claims.expiresAtS, acceptedUntil: claims.acceptedUntil };
  }

  async function fromApiKey(header: string | string[]): Promise<Identity> {
    if (typeof header !== "string" || header.length === 0 || header.length > 200) throw new AuthError("INVALID_API_KEY", "X-API-Key is malformed");
    const key = await credentials.apiKey(hashApiKey(header));
    if (!key) throw new AuthError("INVALID_API_KEY", "unknown API key");
    if (key.key_status === "expired") throw new AuthError("EXPIRED_API_KEY", "this API key has expired");
    if (key.key_status !== "active") throw new AuthError("REVOKED_API_KEY", "this API key has been revoked");
    assertActive(key.account_status);
    usage.record(key.api_key_id);
    return { role: API_ROLE[key.role], userId: key.user_id, apiKeyId: key.api_key_id, ...(key.expires_at && { acceptedUntil: key.expires_at.getTime() }) };
  }
}

function assertActive(accountStatus: string): void {
  if (accountStatus !== "active") throw new AuthError("ACCOUNT_INACTIVE", `this account is ${accountStatus}`);
}
