// Per-request GraphQL context: the identity established by the auth middleware (src/server/
// installAuth.ts) becomes transaction-local PostgreSQL settings. `role` switches to one of the
// four API roles (never taken from a client: src/auth/identity.ts lists them), and the
// jwt.claims.* settings are what RLS policies read through app_public.current_user_id().
import { ANONYMOUS, type Identity, type RequestWithIdentity } from "../auth/identity.ts";
import type { TokenService } from "../auth/tokens.ts";
import type { ResponseCache } from "../insights/cache.ts";
import type { PhoneVerification } from "../insights/phoneVerification.ts";

export function pgSettingsFor(identity: Identity, statementTimeoutMs: number): Record<string, string> {
  const settings: Record<string, string> = {
    role: identity.role,
    statement_timeout: String(statementTimeoutMs),
    "jwt.claims.role": identity.role,
  };
  if (identity.userId) settings["jwt.claims.user_id"] = identity.userId;
  if (identity.sessionId) settings["jwt.claims.session_id"] = identity.sessionId;
  if (identity.apiKeyId) settings["jwt.claims.api_key_id"] = identity.apiKeyId;
  if (identity.includeDeleted && identity.role === "spendgate_admin") settings["spendgate.include_deleted"] = "on";
  return settings;
}

/** Services our plugins reach through the GraphQL context (e.g. signing tokens in AuthPlugin). */
export interface GatewayServices {
  tokens: TokenService;
  phone: PhoneVerification;
  cache: ResponseCache;
}

export function makeContext(services: GatewayServices, statementTimeoutMs: number) {
  return (requestContext: Partial<Grafast.RequestContext>): Partial<Grafast.Context> => {
    const req = (requestContext.expressv4?.req ?? requestContext.node?.req) as (RequestWithIdentity & { ip?: string }) | undefined;
    const identity = req?.identity ?? ANONYMOUS;
    return { pgSettings: pgSettingsFor(identity, statementTimeoutMs), identity, services, clientIp: req?.ip ?? "unknown" };
  };
}

declare global {
  namespace Grafast {
    interface Context {
      identity: Identity;
      services: GatewayServices;
      clientIp: string;
    }
  }
}
