// Who a request runs as, once its credentials are verified (src/auth/authenticate.ts): one of the
// four API roles, and the user, session or API key behind it. The GraphQL context turns it into
// PostgreSQL settings (src/graphql/context.ts); the HTTP guards read it for rate limits.
import type { IncomingMessage } from "node:http";

export const API_ROLES = ["spendgate_anonymous", "spendgate_user", "spendgate_operator", "spendgate_admin"] as const;
export type ApiRole = (typeof API_ROLES)[number];

export interface Identity {
  role: ApiRole;
  userId?: string;
  sessionId?: string;
  /** The access token's jti and exp (seconds), so that logout can blacklist it. */
  tokenId?: string;
  tokenExpiresAtS?: number;
  apiKeyId?: string;
  /** Admins only: soft-deleted rows become visible (X-Include-Deleted: true). */
  includeDeleted?: boolean;
  /** When the credential stops being accepted (ms since the epoch): a token's expiry, an API key's; none when it does not expire. */
  acceptedUntil?: number;
}

export const ANONYMOUS: Identity = Object.freeze({ role: "spendgate_anonymous" });

/** An HTTP request after src/server/installAuth.ts has authenticated it. */
export type RequestWithIdentity = IncomingMessage & { identity?: Identity };
