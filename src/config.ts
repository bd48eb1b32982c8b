// The one place that reads the environment. Every variable is parsed and validated once, at
// start-up; all problems are reported together, each naming the variable and what it expects.
// Nothing else in the code base reads process.env (except the migration loader, which db-migrate
// may run on its own). Secrets are kept out of `describeConfig`, the form that gets logged.
import path from "node:path";

export type NodeEnv = "development" | "test" | "production";

export interface Config {
  nodeEnv: NodeEnv;
  isProduction: boolean;
  host: string;
  /** Express `trust proxy`: false, or how many proxies in front of us set X-Forwarded-For. */
  trustProxy: boolean | number;
  port: number;
  logLevel: string;
  /** Owner connection (migrations, worker). Undefined: boot the embedded PostgreSQL. */
  databaseUrl: string | undefined;
  /** Least-privilege connection used by the API; derived from databaseUrl when not given. */
  authDatabaseUrl: string | undefined;
  authenticatorPassword: string | undefined;
  dataDir: string;
  embeddedPgDir: string;
  embeddedPgPort: number | undefined;
  databaseConnectRetries: number;
  pool: {
    min: number;
    max: number;
    idleTimeoutMs: number;
    connectionTimeoutMs: number;
    maxLifetimeS: number;
  };
  statementTimeoutMs: number;
  jwt: {
    secret: string | undefined;
    jwksUrl: string | undefined;
    issuer: string;
    audience: string;
    accessTokenTtlS: number;
    refreshTokenTtlS: number;
  };
  redisUrl: string | undefined;
  /** Prefix of our Redis keys, so that several deployments can share one Redis. */
  redisKeyPrefix: string;
  corsOrigins: string[];
  worker: "inline" | "off";
  workerConcurrency: number;
  graphql: {
    bodyLimitBytes: number;
    maxDepth: number;
    maxAliases: number;
    maxFields: number;
    introspection: boolean;
    graphiql: boolean;
  };
  rateLimit: {
    loginPerIpPerHour: number;
    loginPerAccountPerHour: number;
    requestsPerKeyPerMinute: number;
  };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/** Collects problems instead of throwing at the first, so a user fixes them all at once. */
class Reader {
  readonly problems: string[] = [];
  private readonly env: Env;
  constructor(env: Env) {
    this.env = env;
  }

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) {
      this.problems.push(`${name}=${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(value)) return true;
    if (["0", "false", "no", "off"].includes(value)) return false;
    this.problems.push(`${name}=${JSON.stringify(value)}: expected true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}=${JSON.stringify(value)}: expected one of ${allowed.join(", ")}`);
    return fallback;
  }

  postgresUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const problem = postgresUrlProblem(value);
    if (problem) {
      this.problems.push(`${name}: ${problem} (expected postgres://user:password@host:5432/database)`);
      return undefined;
    }
    return value;
  }

  /** "100kb", "1mb" or a plain number of bytes. */
  byteSize(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(value);
    if (!match) {
      this.problems.push(`${name}=${JSON.stringify(value)}: expected a size such as 100kb or 1mb`);
      return fallback;
    }
    const unit = (match[2] ?? "b").toLowerCase();
    return Number(match[1]) * (unit === "mb" ? 1024 * 1024 : unit === "kb" ? 1024 : 1);
  }

  url(name: string, protocols: string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (protocols.includes(url.protocol)) return value;
    } catch {
      // reported below
    }
    this.problems.push(`${name}: not a valid URL (expected ${protocols.map((p) => `${p}//...`).join(" or ")})`);
    return undefined;
  }
}

/** Why a string is not a usable PostgreSQL connection URL, or undefined when it is one. */
export function postgresUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    return `unsupported scheme "${url.protocol.replace(/:$/, "")}"`;
  }
  if (!url.hostname) return "no host";
  if (url.pathname.length <= 1) return "no database name";
  return undefined;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const read = new Reader(env);
  const nodeEnv = read.oneOf("NODE_ENV", ["development", "test", "production"] as const, "development");
  const isProduction = nodeEnv === "production";
  const dataDir = path.resolve(cwd, read.string("DATA_DIR", ".data"));

  const poolMax = read.int("DB_POOL_MAX", 20, 1, 1000);
  const poolMin = read.int("DB_POOL_MIN", Math.min(5, poolMax), 0, 1000);
  if (poolMin > poolMax) read.problems.push(`DB_POOL_MIN=${poolMin}: must not exceed DB_POOL_MAX=${poolMax}`);

  const jwtSecret = read.raw("JWT_SECRET");
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    read.problems.push("JWT_SECRET: too short (expected at least 32 bytes; `openssl rand -base64 48` makes one)");
  }
  const jwksUrl = read.url("JWKS_URL", ["https:", "http:"]);
  if (isProduction && jwtSecret === undefined && jwksUrl === undefined) {
    read.problems.push("JWT_SECRET: required in production (at least 32 random bytes), unless JWKS_URL is set");
  }

  const databaseUrl = read.postgresUrl("DATABASE_URL");
  const config: Config = {
    nodeEnv,
    isProduction,
    host: read.string("HOST", "127.0.0.1"),
    trustProxy: read.int("TRUST_PROXY_HOPS", 0, 0, 10) || false,
    port: read.int("PORT", 4000, 0, 65535),
    logLevel: read.oneOf("LOG_LEVEL", ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const, "info"),
    databaseUrl,
    authDatabaseUrl: read.postgresUrl("AUTH_DATABASE_URL"),
    authenticatorPassword: read.raw("AUTHENTICATOR_PASSWORD"),
    dataDir,
    embeddedPgDir: path.resolve(cwd, read.string("EMBEDDED_PG_DIR", path.join(dataDir, "pg"))),
    embeddedPgPort: read.raw("EMBEDDED_PG_PORT") === undefined ? undefined : read.int("EMBEDDED_PG_PORT", 0, 1024, 65535),
    databaseConnectRetries: read.int("DATABASE_CONNECT_RETRIES", 5, 0, 100),
    pool: {
      min: poolMin,
      max: poolMax,
      idleTimeoutMs: read.int("DB_POOL_IDLE_TIMEOUT_MS", 600_000, 0),
      connectionTimeoutMs: read.int("DB_POOL_CONNECTION_TIMEOUT_MS", 30_000, 1),
      maxLifetimeS: read.int("DB_POOL_MAX_LIFETIME_S", 0, 0),
    },
    statementTimeoutMs: read.int("STATEMENT_TIMEOUT_MS", 15_000, 0),
    jwt: {
      secret: jwtSecret,
      jwksUrl,
      issuer: read.string("JWT_ISSUER", "spendgate"),
      audience: read.string("JWT_AUDIENCE", "spendgate"),
      accessTokenTtlS: read.int("ACCESS_TOKEN_TTL_S", 900, 10),
      refreshTokenTtlS: read.int("REFRESH_TOKEN_TTL_S", 30 * 24 * 3600, 60),
    },
    redisUrl: read.url("REDIS_URL", ["redis:", "rediss:"]),
    redisKeyPrefix: read.string("REDIS_KEY_PREFIX", "spendgate"),
    corsOrigins: (read.raw("CORS_ORIGINS") ?? "").split(",").map((o) => o.trim()).filter(Boolean),
    worker: read.oneOf("WORKER", ["inline", "off"] as const, "inline"),
    workerConcurrency: read.int("WORKER_CONCURRENCY", 2, 1, 100),
    graphql: {
      bodyLimitBytes: read.byteSize("GRAPHQL_BODY_LIMIT", 100 * 1024),
      maxDepth: read.int("GRAPHQL_MAX_DEPTH", 12, 1, 100),
      maxAliases: read.int("GRAPHQL_MAX_ALIASES", 30, 1, 10_000),
      maxFields: read.int("GRAPHQL_MAX_FIELDS", 500, 1, 100_000),
      introspection: read.bool("GRAPHQL_INTROSPECTION", !isProduction),
      graphiql: read.bool("GRAPHIQL", !isProduction),
    },
    rateLimit: {
      loginPerIpPerHour: read.int("RATE_LIMIT_LOGIN_PER_IP_PER_HOUR", 100, 1),
      loginPerAccountPerHour: read.int("RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_HOUR", 20, 1),
      requestsPerKeyPerMinute: read.int("RATE_LIMIT_REQUESTS_PER_KEY_PER_MINUTE", 600, 1),
    },
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return Object.freeze(config);
}

/** The configuration as it may be logged: URLs without passwords, secrets as "set"/"unset". */
export function describeConfig(config: Config): Record<string, unknown> {
  const redact = (url: string | undefined) => {
    if (!url) return url;
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  };
  return {
    nodeEnv: config.nodeEnv,
    host: config.host,
    port: config.port,
    database: config.databaseUrl ? redact(config.databaseUrl) : `embedded (${config.embeddedPgDir})`,
    authDatabase: redact(config.authDatabaseUrl),
    pool: config.pool,
    jwt: { secret: config.jwt.secret ? "set" : "unset", jwksUrl: config.jwt.jwksUrl, issuer: config.jwt.issuer },
    redis: redact(config.redisUrl),
    worker: config.worker,
  };
}
