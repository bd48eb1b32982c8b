// The one place that reads the environment. Every variable is parsed and validated once, at
// start-up; all problems are reported together, each naming the variable and what it expects.
// The configuration comes in parts (database, http, jwt, ...): each entry point loads only the
// parts it uses (a migration job holds no JWT secret), and each module receives only its part.
// Nothing else in the code base reads process.env (except the migration loader, which db-migrate
// may run on its own). Secrets are kept out of `describeConfig`, the form that gets logged.
import os from "node:os";
import path from "node:path";

export type NodeEnv = "development" | "test" | "production";

/** What every part needs. */
export interface BaseConfig {
  nodeEnv: NodeEnv;
  isProduction: boolean;
  logLevel: string;
  /** Embedded PostgreSQL data, generated credentials, the development JWT secret. */
  dataDir: string;
}

export interface PoolConfig {
  min: number;
  max: number;
  idleTimeoutMs: number;
  connectionTimeoutMs: number;
  maxLifetimeS: number;
}

/** Which PostgreSQL, and how to connect: every command-line tool needs this part, and only this. */
export interface DatabaseConfig {
  /** Owner connection (migrations, worker). Undefined: boot the embedded PostgreSQL. */
  url: string | undefined;
  /** Least-privilege connection used by the API; derived from `url` when not given. */
  authUrl: string | undefined;
  authenticatorPassword: string | undefined;
  embeddedDir: string;
  embeddedPort: number | undefined;
  connectRetries: number;
  pool: PoolConfig;
  /** Statements slower than this are logged (seed 003: 100 ms); 0 logs every statement. */
  slowQueryMs: number;
  migration: MigrationConfig;
}

/** How migrations run (seed 004: zero downtime; seed 002 REQ-007: confirmation in production). */
export interface MigrationConfig {
  /** false: `npm start` does not migrate; operators run `npm run db:migrate` as a step of their own. */
  onStart: boolean;
  /** lock_timeout of every migration statement, so that one waiting for a lock never queues traffic behind it. */
  lockTimeoutMs: number;
  /** A migration that hit lock_timeout is tried again this many times (backing off). */
  lockRetries: number;
  /** Take a backup before applying migrations (default: in production). */
  backupFirst: boolean;
}

/** Alert history (the daily prune_alert_history job). */
export interface AlertsConfig {
  /** Alert events and webhook delivery attempts older than this are deleted. */
  retentionDays: number;
}

/** Backups (npm run db:backup / db:restore, the daily worker job). */
export interface BackupConfig {
  dir: string;
  /** Backups older than this are deleted... */
  retentionDays: number;
  /** ...except the newest this many. */
  keep: number;
  /** The worker takes a backup every day (crontab: backup_database). */
  daily: boolean;
  /** Folder of pg_dump/pg_restore matching the server's major version; else looked up. */
  pgBinDir: string | undefined;
}

/** Reads on a hot standby (src/database/replicas.ts). */
export interface ReplicaConfig {
  /** The replica; undefined: every operation runs on the primary. */
  readUrl: string | undefined;
  /** After a caller's mutation, that caller's queries stay on the primary this long. */
  readYourWritesMs: number;
  /** A replica further behind the primary than this is skipped. */
  maxLagMs: number;
  checkIntervalMs: number;
}

export interface HttpConfig {
  host: string;
  port: number;
  /** Express `trust proxy`: false, or how many proxies in front of us set X-Forwarded-For. */
  trustProxy: boolean | number;
  corsOrigins: string[];
  /** Gateway processes serving PORT together (node:cluster, src/cluster.ts); 1: no cluster. */
  webConcurrency: number;
}

/** The admin server (as PostgREST's): /metrics, /healthz and /readyz on an interface of their own. */
export interface AdminConfig {
  host: string;
  /** Undefined: no admin server; /metrics is then served on the main port outside production only. */
  port: number | undefined;
}

export interface JwtConfig {
  secret: string | undefined;
  jwksUrl: string | undefined;
  issuer: string;
  audience: string;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  /** Credential checks kept in memory per process (src/auth/credentialCache.ts); 0: none. */
  credentialCacheEntries: number;
}

export interface GraphQLConfig {
  bodyLimitBytes: number;
  maxDepth: number;
  maxAliases: number;
  maxFields: number;
  introspection: boolean;
  graphiql: boolean;
  /** statement_timeout of every GraphQL request's transaction. */
  statementTimeoutMs: number;
}

export interface RateLimitConfig {
  loginPerIpPerHour: number;
  loginPerAccountPerHour: number;
  requestsPerKeyPerMinute: number;
}

export interface RedisConfig {
  url: string | undefined;
  /** Prefix of our Redis keys, so that several deployments can share one Redis. */
  keyPrefix: string;
  /** Connecting (TCP and, for rediss://, the TLS handshake) gives up after this (seed 003: 5 s). */
  connectTimeoutMs: number;
  /** A command without an answer after this fails, and its caller falls back (seed 003: 5 s). */
  commandTimeoutMs: number;
  /** rediss:// only: PEM file of the certificate authority to trust instead of the system's. */
  tlsCaFile: string | undefined;
  /** rediss:// only: the oldest TLS version accepted (seed 003: TLS 1.3). */
  tlsMinVersion: "TLSv1.2" | "TLSv1.3";
}

export interface WorkerConfig {
  /** inline: graphile-worker runs in the gateway process; off: `npm run worker` runs it elsewhere. */
  mode: "inline" | "off";
  concurrency: number;
}

/** Requests to addresses users choose (webhooks): src/net/outbound.ts. */
export interface OutboundConfig {
  /** Allow private, loopback and link-local targets: development (and tests) only, never production. */
  allowPrivateAddresses: boolean;
  /** Only https targets (production). */
  requireHttps: boolean;
  /** Deadline of one request, connection included. */
  timeoutMs: number;
  /** How much of an answer's body is kept. */
  maxResponseBytes: number;
}

/** Where uploaded spend files live (src/storage/): S3 when `s3` is set, else a local directory. */
export interface StorageConfig {
  s3: S3StorageConfig | undefined;
  local: LocalStorageConfig;
}

export interface S3StorageConfig {
  bucket: string;
  /** Undefined: AWS itself (from the region); set for MinIO, Ceph or another S3-compatible store. */
  endpoint: string | undefined;
  region: string;
  /** http://endpoint/bucket/key instead of http://bucket.endpoint/key (MinIO and most self-hosted stores). */
  forcePathStyle: boolean;
}

export interface LocalStorageConfig {
  /** Objects are files under this folder. */
  dir: string;
  /** Signs the gateway's own upload URLs; undefined: generated once into DATA_DIR, shared by the processes using it. */
  signingSecret: string | undefined;
  /** Base of the upload URLs handed to clients; undefined: the gateway's own listening address. */
  publicUrl: string | undefined;
}

/** Phone verification (seed 003 "SMS Verification Codes"): how codes are sent, how often. */
export interface SmsConfig {
  /** log: the code goes to the log (development); webhook: POSTed to webhookUrl (a real provider). */
  provider: "log" | "webhook";
  webhookUrl: string | undefined;
  /** Sent as `Authorization: Bearer <token>` to the webhook, when set. */
  webhookToken: string | undefined;
  /** Codes sent to one phone number per hour (ratelimit:sms:{phone}). */
  perPhonePerHour: number;
}

/** The parts of the configuration; each entry point reads and validates only those it uses. */
export interface ConfigSections {
  database: DatabaseConfig;
  http: HttpConfig;
  admin: AdminConfig;
  jwt: JwtConfig;
  graphql: GraphQLConfig;
  rateLimit: RateLimitConfig;
  redis: RedisConfig;
  worker: WorkerConfig;
  outbound: OutboundConfig;
  backup: BackupConfig;
  alerts: AlertsConfig;
  replicas: ReplicaConfig;
  storage: StorageConfig;
  sms: SmsConfig;
}
export type ConfigSection = keyof ConfigSections;
export type ConfigWith<K extends ConfigSection> = BaseConfig & Pick<ConfigSections, K>;
/** The whole configuration: what the gateway (`npm start`) uses. */
export type Config = ConfigWith<ConfigSection>;

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
  private readonly cwd: string;
  constructor(env: Env, cwd: string) {
    this.env = env;
    this.cwd = cwd;
  }

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  /** A folder, relative to the working directory unless absolute. */
  path(name: string, fallback: string): string {
    return path.resolve(this.cwd, this.raw(name) ?? fallback);
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

function readPool(read: Reader): PoolConfig {
  const max = read.int("DB_POOL_MAX", 20, 1, 1000);
  const min = read.int("DB_POOL_MIN", Math.min(5, max), 0, 1000);
  if (min > max) read.problems.push(`DB_POOL_MIN=${min}: must not exceed DB_POOL_MAX=${max}`);
  return {
    min,
    max,
    idleTimeoutMs: read.int("DB_POOL_IDLE_TIMEOUT_MS", 600_000, 0),
    connectionTimeoutMs: read.int("DB_POOL_CONNECTION_TIMEOUT_MS", 30_000, 1),
    maxLifetimeS: read.int("DB_POOL_MAX_LIFETIME_S", 0, 0),
  };
}

type SectionReader<T> = (read: Reader, base: BaseConfig) => T;

const SECTION_READERS: { [K in ConfigSection]: SectionReader<ConfigSections[K]> } = {
  database: (read, base) => ({
    url: read.postgresUrl("DATABASE_URL"),
    authUrl: read.postgresUrl("AUTH_DATABASE_URL"),
    authenticatorPassword: read.raw("AUTHENTICATOR_PASSWORD"),
    embeddedDir: read.path("EMBEDDED_PG_DIR", path.join(base.dataDir, "pg")),
    embeddedPort: read.raw("EMBEDDED_PG_PORT") === undefined ? undefined : read.int("EMBEDDED_PG_PORT", 0, 1024, 65535),
    connectRetries: read.int("DATABASE_CONNECT_RETRIES", 5, 0, 100),
    pool: readPool(read),
    slowQueryMs: read.int("SLOW_QUERY_MS", 100, 0),
    migration: {
      onStart: read.bool("MIGRATE_ON_START", true),
      lockTimeoutMs: read.int("MIGRATION_LOCK_TIMEOUT_MS", 5000, 0),
      lockRetries: read.int("MIGRATION_LOCK_RETRIES", 5, 0, 100),
      backupFirst: read.bool("BACKUP_BEFORE_MIGRATE", base.isProduction),
    },
  }),
  http: (read) => ({
    host: read.string("HOST", "127.0.0.1"),
    port: read.int("PORT", 4000, 0, 65535),
    webConcurrency: read.int("WEB_CONCURRENCY", os.availableParallelism(), 1, 256),
    trustProxy: read.int("TRUST_PROXY_HOPS", 0, 0, 10) || false,
    corsOrigins: (read.raw("CORS_ORIGINS") ?? "").split(",").map((o) => o.trim()).filter(Boolean),
  }),
  admin: (read) => ({
    host: read.string("ADMIN_HOST", "127.0.0.1"),
    port: read.raw("ADMIN_PORT") === undefined ? undefined : read.int("ADMIN_PORT", 0, 0, 65535),
  }),
  jwt: (read, base) => {
    const secret = read.raw("JWT_SECRET");
    if (secret !== undefined && Buffer.byteLength(secret) < 32) {
      read.problems.push("JWT_SECRET: too short (expected at least 32 bytes; `openssl rand -base64 48` makes one)");
    }
    const jwksUrl = read.url("JWKS_URL", ["https:", "http:"]);
    if (base.isProduction && secret === undefined && jwksUrl === undefined) {
      read.problems.push("JWT_SECRET: required in production (at least 32 random bytes), unless JWKS_URL is set");
    }
    return {
      secret,
      jwksUrl,
      issuer: read.string("JWT_ISSUER", "spendgate"),
      audience: read.string("JWT_AUDIENCE", "spendgate"),
      accessTokenTtlS: read.int("ACCESS_TOKEN_TTL_S", 900, 10),
      refreshTokenTtlS: read.int("REFRESH_TOKEN_TTL_S", 30 * 24 * 3600, 60),
      credentialCacheEntries: read.int("CREDENTIAL_CACHE_ENTRIES", 10_000, 0, 10_000_000),
    };
  },
  graphql: (read, base) => ({
    bodyLimitBytes: read.byteSize("GRAPHQL_BODY_LIMIT", 100 * 1024),
    maxDepth: read.int("GRAPHQL_MAX_DEPTH", 12, 1, 100),
    maxAliases: read.int("GRAPHQL_MAX_ALIASES", 30, 1, 10_000),
    maxFields: read.int("GRAPHQL_MAX_FIELDS", 500, 1, 100_000),
    introspection: read.bool("GRAPHQL_INTROSPECTION", !base.isProduction),
    graphiql: read.bool("GRAPHIQL", !base.isProduction),
    statementTimeoutMs: read.int("STATEMENT_TIMEOUT_MS", 15_000, 0),
  }),
  rateLimit: (read) => ({
    loginPerIpPerHour: read.int("RATE_LIMIT_LOGIN_PER_IP_PER_HOUR", 100, 1),
    loginPerAccountPerHour: read.int("RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_HOUR", 20, 1),
    requestsPerKeyPerMinute: read.int("RATE_LIMIT_REQUESTS_PER_KEY_PER_MINUTE", 600, 1),
  }),
  redis: (read) => {
    const url = read.url("REDIS_URL", ["redis:", "rediss:"]);
    const tlsCaFile = read.raw("REDIS_TLS_CA_FILE") === undefined ? undefined : read.path("REDIS_TLS_CA_FILE", "");
    if (tlsCaFile !== undefined && !url?.startsWith("rediss:")) {
      read.problems.push("REDIS_TLS_CA_FILE: only used with a rediss:// REDIS_URL (TLS)");
    }
    return {
      url,
      keyPrefix: read.string("REDIS_KEY_PREFIX", "spendgate"),
      connectTimeoutMs: read.int("REDIS_CONNECT_TIMEOUT_MS", 5000, 1, 600_000),
      commandTimeoutMs: read.int("REDIS_COMMAND_TIMEOUT_MS", 5000, 1, 600_000),
      tlsCaFile,
      tlsMinVersion: read.oneOf("REDIS_TLS_MIN_VERSION", ["TLSv1.2", "TLSv1.3"] as const, "TLSv1.3"),
    };
  },
  worker: (read) => ({
    mode: read.oneOf("WORKER", ["inline", "off"] as const, "inline"),
    concurrency: read.int("WORKER_CONCURRENCY", 2, 1, 100),
  }),
  outbound: (read, base) => {
    const allowPrivateAddresses = read.bool("OUTBOUND_ALLOW_PRIVATE", base.nodeEnv === "development");
    if (base.isProduction && allowPrivateAddresses) {
      read.problems.push("OUTBOUND_ALLOW_PRIVATE: cannot be true in production (requests to private and loopback addresses are refused there)");
    }
    return {
      allowPrivateAddresses,
      requireHttps: base.isProduction,
      timeoutMs: read.int("OUTBOUND_TIMEOUT_MS", 10_000, 100, 120_000),
      maxResponseBytes: 64 * 1024,
    };
  },
  backup: (read, base) => ({
    dir: read.path("BACKUP_DIR", path.join(base.dataDir, "backups")),
    retentionDays: read.int("BACKUP_RETENTION_DAYS", 30, 1, 3650),
    keep: read.int("BACKUP_KEEP", 7, 1, 1000),
    daily: read.bool("BACKUP_DAILY", false),
    pgBinDir: read.raw("PG_BIN_DIR") === undefined ? undefined : read.path("PG_BIN_DIR", ""),
  }),
  alerts: (read) => ({
    retentionDays: read.int("ALERT_RETENTION_DAYS", 90, 1, 36_500),
  }),
  replicas: (read) => ({
    readUrl: read.postgresUrl("DATABASE_READ_URL"),
    readYourWritesMs: read.int("REPLICA_READ_YOUR_WRITES_MS", 5000, 0, 3_600_000),
    maxLagMs: read.int("REPLICA_MAX_LAG_MS", 1000, 0, 3_600_000),
    checkIntervalMs: read.int("REPLICA_CHECK_INTERVAL_MS", 1000, 50, 600_000),
  }),
  storage: (read, base) => {
    const bucket = read.raw("S3_BUCKET");
    // S3's rules for bucket names (3-63 of a-z, 0-9, dot, dash; starting and ending alphanumeric).
    if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      read.problems.push(`S3_BUCKET=${JSON.stringify(bucket)}: not a valid bucket name (3 to 63 characters: lowercase letters, digits, dots and dashes)`);
    }
    const endpoint = read.url("S3_ENDPOINT", ["https:", "http:"]);
    const region = read.raw("S3_REGION");
    if (region !== undefined && !/^[a-z0-9-]+$/.test(region)) {
      read.problems.push(`S3_REGION=${JSON.stringify(region)}: expected a region name such as eu-west-1 (MinIO accepts us-east-1)`);
    }
    const forcePathStyle = read.bool("S3_FORCE_PATH_STYLE", false);
    if (bucket === undefined) {
      for (const name of ["S3_ENDPOINT", "S3_REGION", "S3_FORCE_PATH_STYLE"]) {
        if (read.raw(name) !== undefined) read.problems.push(`${name}: only used with S3_BUCKET (without it uploads are kept in UPLOADS_DIR)`);
      }
    } else if (region === undefined && endpoint === undefined) {
      read.problems.push("S3_REGION: required with S3_BUCKET on AWS (the bucket's region, e.g. eu-west-1); set S3_ENDPOINT for another S3-compatible store");
    }
    const signingSecret = read.raw("UPLOAD_SIGNING_SECRET");
    if (signingSecret !== undefined && Buffer.byteLength(signingSecret) < 32) {
      read.problems.push("UPLOAD_SIGNING_SECRET: too short (expected at least 32 bytes; `openssl rand -base64 48` makes one)");
    }
    return {
      s3: bucket === undefined ? undefined : { bucket, endpoint, region: region ?? "us-east-1", forcePathStyle },
      local: {
        dir: read.path("UPLOADS_DIR", path.join(base.dataDir, "uploads")),
        signingSecret,
        publicUrl: read.url("UPLOADS_PUBLIC_URL", ["https:", "http:"])?.replace(/\/+$/, ""),
      },
    };
  },
  sms: (read) => {
    const provider = read.oneOf("SMS_PROVIDER", ["log", "webhook"] as const, "log");
    const webhookUrl = read.url("SMS_WEBHOOK_URL", ["https:", "http:"]);
    if (provider === "webhook" && webhookUrl === undefined) read.problems.push("SMS_WEBHOOK_URL: required when SMS_PROVIDER=webhook");
    return {
      provider,
      webhookUrl,
      webhookToken: read.raw("SMS_WEBHOOK_TOKEN"),
      perPhonePerHour: read.int("SMS_PER_PHONE_PER_HOUR", 5, 1, 1000),
    };
  },
};

export const ALL_SECTIONS = Object.keys(SECTION_READERS) as ConfigSection[];

/**
 * Reads the base settings and the named parts, and nothing else: a tool that only migrates is not
 * refused for a missing JWT_SECRET or a bad PORT it never uses. Throws one ConfigError listing
 * every problem found.
 */
export function loadConfigSections<K extends ConfigSection>(sections: readonly K[], env: Env = process.env, cwd = process.cwd()): ConfigWith<K> {
  const read = new Reader(env, cwd);
  const nodeEnv = read.oneOf("NODE_ENV", ["development", "test", "production"] as const, "development");
  const base: BaseConfig = {
    nodeEnv,
    isProduction: nodeEnv === "production",
    logLevel: read.oneOf("LOG_LEVEL", ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const, "info"),
    dataDir: read.path("DATA_DIR", ".data"),
  };
  const config: Record<string, unknown> = { ...base };
  for (const section of sections) config[section] = SECTION_READERS[section](read, base);
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return Object.freeze(config) as ConfigWith<K>;
}

/** The whole configuration (the gateway). */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  return loadConfigSections(ALL_SECTIONS, env, cwd);
}

/** A URL as it may be logged or shown: its password replaced by ***. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/** The configuration as it may be logged: URLs without passwords, secrets as "set"/"unset". */
export function describeConfig(config: Partial<ConfigSections> & BaseConfig): Record<string, unknown> {
  const redact = (url: string | undefined) => url && redactUrl(url);
  const { database, http, jwt, redis, worker, outbound, replicas, storage } = config;
  return {
    nodeEnv: config.nodeEnv,
    ...(http && { host: http.host, port: http.port }),
    ...(database && {
      database: database.url ? redact(database.url) : `embedded (${database.embeddedDir})`,
      authDatabase: redact(database.authUrl),
      pool: database.pool,
    }),
    ...(jwt && { jwt: { secret: jwt.secret ? "set" : "unset", jwksUrl: jwt.jwksUrl, issuer: jwt.issuer } }),
    ...(redis && { redis: redact(redis.url) }),
    ...(worker && { worker: worker.mode }),
    ...(outbound && { outbound: { allowPrivateAddresses: outbound.allowPrivateAddresses, timeoutMs: outbound.timeoutMs } }),
    ...(replicas?.readUrl && { readReplica: { url: redact(replicas.readUrl), readYourWritesMs: replicas.readYourWritesMs, maxLagMs: replicas.maxLagMs } }),
    ...(storage && { storage: storage.s3 ? { s3: storage.s3 } : { local: storage.local.dir, signingSecret: storage.local.signingSecret ? "set" : "unset" } }),
  };
}
