// A small GraphQL-over-HTTP client for outside-in tests: everything a client of Spendgate does,
// through HTTP only (register, log in, API keys, GET and POST), plus the one documented step no
// client can do, bootstrapping the first admin with `npm run user:create` (run as a process, as
// an operator of the installation would). Reuse it for any feature a client can reach.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";

export interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface Response<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: GraphQLErrorBody[] };
}

export type Role = "user" | "operator" | "admin";

export class ApiClient {
  readonly baseUrl: string;
  readonly headers: Record<string, string>;

  constructor(baseUrl: string, headers: Record<string, string> = {}) {
    this.baseUrl = baseUrl;
    this.headers = headers;
  }

  /** The same client with more (or replaced) headers, e.g. X-Include-Deleted. */
  with(headers: Record<string, string>): ApiClient {
    return new ApiClient(this.baseUrl, { ...this.headers, ...headers });
  }

  async post<T = any>(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response<T>> {
    return this.send("POST", `${this.baseUrl}/graphql`, {
      headers: { "content-type": "application/json", accept: "application/json", ...this.headers, ...headers },
      body: JSON.stringify({ query, variables }),
    });
  }

  /** A query sent as GET (/graphql?query=...&variables=...), as urql and other clients do by default. */
  async get<T = any>(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response<T>> {
    const url = new URL(`${this.baseUrl}/graphql`);
    url.searchParams.set("query", query);
    if (variables) url.searchParams.set("variables", JSON.stringify(variables));
    return this.send("GET", url.toString(), { headers: { accept: "application/json", ...this.headers, ...headers } });
  }

  /** POSTs and returns `data`; fails with the errors when there are any. */
  async data<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const response = await this.post<T>(query, variables);
    if (response.body.errors?.length || response.status !== 200) {
      throw new Error(`expected data, got HTTP ${response.status}: ${JSON.stringify(response.body.errors ?? response.body)}`);
    }
    return response.body.data as T;
  }

  /** POSTs and returns `[code, message]` of each error (fails when there is none). */
  async errors(query: string, variables?: Record<string, unknown>): Promise<[string | undefined, string][]> {
    const response = await this.post(query, variables);
    if (!response.body.errors?.length) throw new Error(`expected errors, got ${JSON.stringify(response.body)}`);
    return response.body.errors.map((error) => [error.extensions?.code, error.message]);
  }

  private async send(method: string, url: string, init: { headers: Record<string, string>; body?: string }): Promise<Response> {
    const response = await fetch(url, { method, ...init });
    const text = await response.text();
    let body;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { errors: [{ message: `non-JSON response: ${text.slice(0, 200)}` }] };
    }
    return { status: response.status, headers: response.headers, body };
  }
}

export interface Account {
  email: string;
  password: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
  /** Sends `Authorization: Bearer <accessToken>`. */
  client: ApiClient;
}

const SESSION_FIELDS = "accessToken refreshToken userId";

export const uniqueEmail = (prefix = "user") => `${prefix}-${randomBytes(4).toString("hex")}@example.com`;
export const anonymous = (baseUrl: string) => new ApiClient(baseUrl);
export const withToken = (baseUrl: string, accessToken: string) => new ApiClient(baseUrl, { authorization: `Bearer ${accessToken}` });
export const withApiKey = (baseUrl: string, apiKey: string) => new ApiClient(baseUrl, { "x-api-key": apiKey });

function account(baseUrl: string, email: string, password: string, session: { accessToken: string; refreshToken: string; userId: string }): Account {
  return { email, password, ...session, client: withToken(baseUrl, session.accessToken) };
}

export async function register(baseUrl: string, email = uniqueEmail(), password = "correct horse battery"): Promise<Account> {
  const data = await anonymous(baseUrl).data(`mutation($email: String!, $password: String!) { register(input: {email: $email, password: $password}) { ${SESSION_FIELDS} } }`, { email, password });
  return account(baseUrl, email, password, data.register);
}

export async function login(baseUrl: string, email: string, password: string): Promise<Account> {
  const data = await anonymous(baseUrl).data(`mutation($email: String!, $password: String!) { login(input: {email: $email, password: $password}) { ${SESSION_FIELDS} } }`, { email, password });
  return account(baseUrl, email, password, data.login);
}

export interface ApiKey {
  apiKey: string;
  apiKeyId: string;
  /** Sends `X-API-Key: <apiKey>`. */
  client: ApiClient;
}

export async function createApiKey(owner: Account, name = `key-${randomBytes(3).toString("hex")}`): Promise<ApiKey> {
  const data = await owner.client.data("mutation($name: String!) { createApiKey(input: {name: $name}) { apiKey apiKeyId } }", { name });
  return { ...data.createApiKey, client: withApiKey(owner.client.baseUrl, data.createApiKey.apiKey) };
}

const USER_CREATE = fileURLToPath(new URL("../../src/cli/user-create.ts", import.meta.url));

/** Runs `npm run user:create` (its script) with the password on standard input. */
export function runUserCreate(databaseUrl: string, args: string[], stdin: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [USER_CREATE, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "test", LOG_LEVEL: "warn", DATABASE_URL: databaseUrl },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  child.stdin.end(stdin);
  // "close", not "exit": the exit can come before the last output has been read.
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

/** The bootstrap of a fresh install (README): the first admin by `user:create`, then logged in over HTTP. */
export async function bootstrapAdmin(baseUrl: string, databaseUrl: string, email = uniqueEmail("admin"), password = "admin password 1"): Promise<Account> {
  const { code, output } = await runUserCreate(databaseUrl, ["--email", email, "--role", "admin"], `${password}\n`);
  if (code !== 0) throw new Error(`user:create failed (${code}): ${output}`);
  return login(baseUrl, email, password);
}

/** An admin gives `account` a role through the API; the account logs in again to get a token for it. */
export async function promote(admin: Account, account: Account, role: Role): Promise<Account> {
  await admin.client.data("mutation($id: UUID!, $role: UserRole!) { updateUser(input: {userId: $id, patch: {role: $role}}) { user { role } } }", { id: account.userId, role });
  return login(admin.client.baseUrl, account.email, account.password);
}
