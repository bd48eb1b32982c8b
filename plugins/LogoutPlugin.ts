// LogoutPlugin: `logout` (a plain SQL function, sql/2100-session-tokens.sql) also blacklists the
// access token that called it, in Redis when REDIS_URL is set: `blacklist:token:{jti}` until the
// token expires (src/auth/sessionCache.ts), so every instance refuses it at its next request from
// Redis alone. It runs after the logout has committed and before the answer leaves. The session's
// revocation already ends the token (and its refresh token) everywhere; the blacklist makes the
// refusal cost no database round trip. Without Redis nothing changes.
import { context, sideEffect, type Step } from "postgraphile/grafast";
import { wrapPlans } from "postgraphile/utils";
import "../src/graphql/context.ts"; // the Grafast.Context it declares: identity, services

export default wrapPlans(
  {
    Mutation: {
      logout(plan) {
        const $payload = plan();
        sideEffect(
          [($payload as unknown as { get(key: string): Step }).get("result"), context().get("identity"), context().get("services")],
          ([ended, identity, services]) => (ended === true ? services.credentials.revokeToken(identity.tokenId, identity.tokenExpiresAtS) : undefined),
        );
        return $payload;
      },
    },
  },
  { name: "LogoutPlugin", version: "1.0.0", description: "logout blacklists the calling access token in Redis" },
);
