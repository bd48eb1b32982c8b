// Per-request GraphQL context: the identity established by the auth middleware (src/server/
// installAuth.ts) becomes transaction-local PostgreSQL settings. `role` switches to one of the
// four API roles (never taken from a client: src/auth/identity.ts lists them), and the
// jwt.claims.* settings are what RLS policies read through app_public.current_user_id().
// WebSocket operations (subscriptions) pass no Express middleware: their credentials come from
// the graphql-ws connectionParams (`authorization` or `x-api-key`, as the HTTP headers) and are
// checked here by the same authenticator, on every subscribe, and watched for as long as the
// connection stays open (./webSocketGuard.ts).
import { SafeError } from "postgraphile/grafast";
import type { IncomingHttpHeaders } from "node:http";
import type { Authenticate } from "../auth/authenticate.ts";
import type { CredentialStore } from "../auth/credentialCache.ts";
import { AuthError } from "../auth/errors.ts";
import { ANONYMOUS, type Identity, type RequestWithIdentity } from "../auth/identity.ts";
import type { TokenService } from "../auth/tokens.ts";
import type { ObjectStorage } from "../storage/storage.ts";
import type { OutboundConfig } from "../config.ts";
import type { ResponseCache } from "../insights/cache.ts";
import type { PhoneVerification } from "../insights/phoneVerification.ts";
import { guardWebSocket, type GuardedSocket } from "./webSocketGuard.ts";

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
  /** Where uploaded spend files go (plugins/UploadsPlugin.ts). */
  storage: ObjectStorage;
  /** The outbound rules, to check webhook URLs when they are registered (WebhooksPlugin). */
  outbound: OutboundConfig;
  /** Checks the credentials of WebSocket operations (HTTP requests are checked by installAuth). */
  authenticate: Authenticate;
  /** Logout blacklists the calling token (plugins/LogoutPlugin.ts); the WebSocket guard learns when a connection's user's credentials changed. */
  credentials: Pick<CredentialStore, "revokeToken" | "forgotten">;
  phone: PhoneVerification;
  cache: ResponseCache;
}

async function webSocketIdentity(services: GatewayServices, params: IncomingHttpHeaders | undefined): Promise<Identity> {
  try {
    return await services.authenticate(params ?? {});
  } catch (error) {
    if (error instanceof AuthError) throw new SafeError(error.message, { code: error.code, statusCode: 401 });
    throw error;
  }
}

export function makeContext(services: GatewayServices, statementTimeoutMs: number) {
  return async (requestContext: Partial<Grafast.RequestContext>): Promise<Partial<Grafast.Context>> => {
    const req = (requestContext.expressv4?.req ?? requestContext.node?.req) as (RequestWithIdentity & { ip?: string }) | undefined;
    const ws = requestContext.ws;
    const identity = ws ? await webSocketIdentity(services, ws.normalizedConnectionParams) : (req?.identity ?? ANONYMOUS);
    if (ws?.socket) guardWebSocket(services, ws.socket as GuardedSocket, ws.normalizedConnectionParams ?? {}, identity);
    const ip = ws ? ws.request?.socket.remoteAddress : req?.ip;
    return { pgSettings: pgSettingsFor(identity, statementTimeoutMs), identity, services, clientIp: ip ?? "unknown" };
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
