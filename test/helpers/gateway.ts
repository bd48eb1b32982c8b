// Starts the real gateway (HTTP, PostGraphile, auth) against a test database on a free port, and
// gives tests a small GraphQL client plus a way to mint access tokens for any user.
import { loadConfig, type Config } from "../../src/config.ts";
import { createTokenService, type TokenRole } from "../../src/auth/tokens.ts";
import { createLogger, type Logger } from "../../src/logger.ts";
import { startGateway, type Gateway, type GatewayOptions } from "../../src/server/gateway.ts";
import test from "ava";
import { createTestDatabase, type TestDatabase } from "./database.ts";

export const TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789";

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  // Loosely typed on purpose: tests assert on the exact shape.
  body: { data?: T; errors?: any };
}

export interface TestGateway extends Gateway {
  config: Config;
  graphql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** A valid access token for the user, as `login` would issue it. */
  token(userId: string, role?: TokenRole, sessionId?: string): Promise<string>;
  /** Authorization header for the user. */
  as(userId: string, role?: TokenRole): Promise<Record<string, string>>;
}

/** `log`: the gateway's logger (default: silent, or TEST_LOG_LEVEL). */
export async function startTestGateway(
  db: TestDatabase,
  env: Record<string, string> = {},
  { log = createLogger(process.env.TEST_LOG_LEVEL ?? "silent"), ...options }: GatewayOptions & { log?: Logger } = {},
): Promise<TestGateway> {
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    JWT_SECRET: TEST_JWT_SECRET,
    WORKER: "off",
    DB_POOL_MAX: "10",
    ...env,
  });
  const gateway = await startGateway(config, log, {
    ownerUrl: db.ownerUrl,
    authUrl: db.authUrl,
    authenticatorPassword: undefined,
    embedded: undefined,
  }, options);
  const tokens = createTokenService(config.jwt, new TextEncoder().encode(TEST_JWT_SECRET));
  const token = async (userId: string, role: TokenRole = "user", sessionId?: string) => (await tokens.sign({ userId, role, sessionId })).token;
  return {
    ...gateway,
    config,
    token,
    async as(userId, role = "user") {
      return { authorization: `Bearer ${await token(userId, role)}` };
    },
    async graphql(query, variables, headers = {}) {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = { errors: [{ message: `non-JSON response: ${text.slice(0, 200)}` }] };
      }
      return { status: response.status, headers: response.headers, body };
    },
  };
}

/**
 * Registers before/after hooks giving the calling test file its own database and gateway;
 * the returned object is filled in by the time tests run. `setup` runs once both exist (ava
 * runs a file's before hooks concurrently, so a second hook could not rely on them).
 */
export function useTestGateway(
  env: Record<string, string> = {},
  setup?: (state: { db: TestDatabase; gateway: TestGateway }) => Promise<void>,
): { db: TestDatabase; gateway: TestGateway } {
  const state = {} as { db: TestDatabase; gateway: TestGateway };
  test.before(async () => {
    state.db = await createTestDatabase();
    state.gateway = await startTestGateway(state.db, env);
    await setup?.(state);
  });
  test.after.always(async () => {
    await state.gateway?.close();
    await state.db?.drop();
  });
  return state;
}
