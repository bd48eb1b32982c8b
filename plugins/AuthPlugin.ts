// AuthPlugin: the account operations of the public contract that need the gateway's secrets:
//   register(input: {email, password})      -> AuthPayload (tokens for the new account)
//   login(input: {email, password})         -> AuthPayload
//   refreshSession(input: {refreshToken})   -> AuthPayload (rotates the pair)
//   createApiKey(input: {name})             -> CreateApiKeyPayload (the plain key, once)
// The rules live in SQL (migrations 20261122002000-2200: bcrypt, rotation, reuse detection);
// this plugin only generates random tokens, signs JWTs and hashes what it hands to SQL. Each call
// runs inside the request's transaction with the request's role, so RLS and grants still apply.
//   revokeApiKey(input: {apiKeyId})         -> RevokeApiKeyPayload
// revokeApiKey is an UPDATE of the key's status as the requesting role (RLS decides whose keys;
// the revocation trigger stamps revoked_at); a SQL function could not return the row, whose
// key_hash no API role may read. `logout` needs no secret and is a plain SQL function.
import { randomBytes } from "node:crypto";
import { constant, context, lambda, object, SafeError, type Step } from "postgraphile/grafast";
import { pgUpdateSingle, sideEffectWithPgClientTransaction, type PgClient } from "postgraphile/@dataplan/pg";
import { extendSchema, gql } from "postgraphile/utils";
import { generateApiKey, hashApiKey } from "../src/auth/apiKeys.ts";
import type { GatewayServices } from "../src/graphql/context.ts";

interface Tokens {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  userId: string;
}

type RotationOutcome = "rotated" | "invalid" | "expired" | "reused" | "inactive";

const REFRESH_ERRORS: Record<Exclude<RotationOutcome, "rotated">, [string, string]> = {
  invalid: ["SGRTI", "invalid refresh token"],
  expired: ["SGRTE", "refresh token has expired; log in again"],
  reused: ["SGRTR", "refresh token was already used; every session of this login has been revoked, log in again"],
  inactive: ["SGINA", "this account is not active"],
};

async function issueSession(client: PgClient, services: GatewayServices, userId: string, role: string): Promise<Tokens> {
  const refreshToken = randomBytes(32).toString("base64url");
  const { rows } = await client.query<{ session_id: string }>({
    text: "select app_private.create_session($1, $2, make_interval(secs => $3)) as session_id",
    values: [userId, hashApiKey(refreshToken), services.tokens.refreshTokenTtlS],
  });
  return sign(services, userId, role, rows[0]!.session_id, refreshToken);
}

async function sign(services: GatewayServices, userId: string, role: string, sessionId: string, refreshToken: string): Promise<Tokens> {
  const { token, expiresAt } = await services.tokens.sign({ userId, role: role as "user", sessionId });
  return { accessToken: token, accessTokenExpiresAt: expiresAt.toISOString(), refreshToken, userId };
}

export default extendSchema((build) => {
  const executor = build.input.pgRegistry.pgExecutors.main!;
  const apiKeys = build.input.pgRegistry.pgResources.api_keys!;
  const credentials = (fieldArgs: { getRaw(path: string[]): any }) => ({
    input: fieldArgs.getRaw(["input"]) as Step<Record<string, string>>,
    services: context().get("services"),
  });
  return {
    typeDefs: gql`
      input RegisterInput {
        email: String!
        "8 to 72 bytes."
        password: String!
      }
      input LoginInput {
        email: String!
        password: String!
      }
      input RefreshSessionInput {
        refreshToken: String!
      }
      input RevokeApiKeyInput {
        apiKeyId: BigInt!
      }
      type RevokeApiKeyPayload {
        "The key, now revoked."
        apiKey: ApiKey
      }
      input CreateApiKeyInput {
        "A name to recognise the key by; unique among your live keys."
        name: String!
      }
      "A new session: a short-lived access token (JWT) and a long-lived refresh token."
      type AuthPayload {
        "Send as Authorization: Bearer <accessToken>."
        accessToken: String!
        accessTokenExpiresAt: Datetime!
        "Opaque; exchange it with refreshSession for a new pair. It works once."
        refreshToken: String!
        userId: UUID!
      }
      type CreateApiKeyPayload {
        "The plain API key, shown only this once: send it as X-API-Key. Only its hash is stored."
        apiKey: String!
        apiKeyId: BigInt!
        keyPrefix: String!
      }
      extend type Mutation {
        "Creates an account (role user) and logs it in."
        register(input: RegisterInput!): AuthPayload
        "Logs in with email and password. The same error for an unknown email and a wrong password."
        login(input: LoginInput!): AuthPayload
        "Exchanges a refresh token for a new access and refresh token; the old refresh token stops working."
        refreshSession(input: RefreshSessionInput!): AuthPayload
        "Creates an API key for the calling user; the plain key is returned once."
        createApiKey(input: CreateApiKeyInput!): CreateApiKeyPayload
        "Revokes one of your API keys: requests with it are refused (401) from now on."
        revokeApiKey(input: RevokeApiKeyInput!): RevokeApiKeyPayload
      }
    `,
    objects: {
      Mutation: {
        plans: {
          register(_: unknown, fieldArgs: any) {
            return sideEffectWithPgClientTransaction(executor, credentials(fieldArgs), async (client, { input, services }) => {
              const { rows } = await client.query<{ user_id: string }>({
                text: "select app_private.register_user($1, $2) as user_id",
                values: [input.email, input.password],
              });
              return issueSession(client, services, rows[0]!.user_id, "user");
            });
          },
          login(_: unknown, fieldArgs: any) {
            return sideEffectWithPgClientTransaction(executor, credentials(fieldArgs), async (client, { input, services }) => {
              const { rows } = await client.query<{ user_id: string; role: string }>({
                text: "select user_id, role from app_private.login($1, $2)",
                values: [input.email, input.password],
              });
              return issueSession(client, services, rows[0]!.user_id, rows[0]!.role);
            });
          },
          refreshSession(_: unknown, fieldArgs: any) {
            // The rotation commits even when it detects reuse (it revokes the family), so the
            // error is raised after the transaction, in the lambda below.
            const $rotation = sideEffectWithPgClientTransaction(executor, credentials(fieldArgs), async (client, { input, services }) => {
              const refreshToken = randomBytes(32).toString("base64url");
              const { rows } = await client.query<{ outcome: RotationOutcome; session_id: string; user_id: string; role: string }>({
                text: "select * from app_private.rotate_session($1, $2, make_interval(secs => $3))",
                values: [hashApiKey(String(input.refreshToken)), hashApiKey(refreshToken), services.tokens.refreshTokenTtlS],
              });
              const row = rows[0]!;
              if (row.outcome !== "rotated") return { outcome: row.outcome };
              return { outcome: row.outcome, tokens: await sign(services, row.user_id, row.role, row.session_id, refreshToken) };
            });
            return lambda($rotation, ({ outcome, tokens }: { outcome: RotationOutcome; tokens?: Tokens }) => {
              if (outcome === "rotated") return tokens!;
              const [code, message] = REFRESH_ERRORS[outcome];
              throw new SafeError(message, { code });
            });
          },
          revokeApiKey(_: unknown, fieldArgs: any) {
            const $key = pgUpdateSingle(apiKeys, { id: fieldArgs.getRaw(["input", "apiKeyId"]) }, { status: constant("revoked") });
            return object({ apiKey: $key });
          },
          createApiKey(_: unknown, fieldArgs: any) {
            return sideEffectWithPgClientTransaction(executor, credentials(fieldArgs), async (client, { input }) => {
              const { key, hash, prefix } = generateApiKey();
              const { rows } = await client.query<{ id: string }>({
                text: "select id from app_private.create_api_key($1, $2, $3)",
                values: [input.name, hash, prefix],
              });
              if (!rows[0]) throw new SafeError("log in to create an API key", { code: "SGANO" });
              return { apiKey: key, apiKeyId: rows[0].id, keyPrefix: prefix };
            });
          },
        },
      },
    },
  };
}, "AuthPlugin");
