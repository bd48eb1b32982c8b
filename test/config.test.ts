import test from "ava";
import { ConfigError, describeConfig, loadConfig, loadConfigSections } from "../src/config.ts";

const problemsOf = (env: Record<string, string>) => {
  const error = (() => {
    try {
      loadConfig(env, "/srv/app");
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(error instanceof ConfigError)) throw new Error("expected a ConfigError");
  return error.problems;
};

test("an empty environment gives the documented defaults", (t) => {
  const config = loadConfig({}, "/srv/app");
  t.is(config.nodeEnv, "development");
  t.is(config.http.port, 4000);
  t.is(config.http.host, "127.0.0.1");
  t.is(config.database.url, undefined);
  t.is(config.database.embeddedDir, "/srv/app/.data/pg");
  t.deepEqual(config.database.pool, { min: 5, max: 20, idleTimeoutMs: 600_000, connectionTimeoutMs: 30_000, maxLifetimeS: 0 });
  t.deepEqual(config.worker, { mode: "inline", concurrency: 2 });
  t.is(config.graphql.bodyLimitBytes, 100 * 1024);
  t.true(config.graphql.graphiql);
  t.true(config.graphql.introspection);
});

test("every invalid variable is reported at once, each naming the variable and what it expects", (t) => {
  const problems = problemsOf({ PORT: "eighty", DB_POOL_MAX: "0", NODE_ENV: "staging", WORKER: "sometimes", GRAPHQL_BODY_LIMIT: "big" });
  t.is(problems.length, 5);
  t.regex(problems.join("\n"), /PORT="eighty": expected a whole number from 0 to 65535/);
  t.regex(problems.join("\n"), /DB_POOL_MAX="0": expected a whole number from 1 to 1000/);
  t.regex(problems.join("\n"), /NODE_ENV="staging": expected one of development, test, production/);
  t.regex(problems.join("\n"), /WORKER="sometimes": expected one of inline, off/);
  t.regex(problems.join("\n"), /GRAPHQL_BODY_LIMIT="big": expected a size such as 100kb or 1mb/);
});

test("an unparsable DATABASE_URL is refused with the reason, without echoing its password", (t) => {
  for (const [url, reason] of [
    ["not a url", "not a URL"],
    ["mysql://u:secret@host/db", 'unsupported scheme "mysql"'],
    ["postgres://u:secret@host", "no database name"],
  ]) {
    const [problem] = problemsOf({ DATABASE_URL: url });
    t.true(problem!.startsWith(`DATABASE_URL: ${reason}`), problem);
    t.false(problem!.includes("secret"));
  }
});

test("JWT_SECRET must be at least 32 bytes, and is required in production", (t) => {
  t.regex(problemsOf({ JWT_SECRET: "short" })[0]!, /JWT_SECRET: too short/);
  t.regex(problemsOf({ NODE_ENV: "production" })[0]!, /JWT_SECRET: required in production/);
  const production = loadConfig({ NODE_ENV: "production", JWT_SECRET: "x".repeat(32) });
  t.false(production.graphql.graphiql, "Ruru is off in production");
  t.false(production.graphql.introspection, "introspection is off in production");
});

test("a tool that loads only the database part validates only that part: no JWT_SECRET needed in production", (t) => {
  const env = { NODE_ENV: "production", DATABASE_URL: "postgres://owner:pw@db:5432/app", PORT: "not-a-port", JWT_SECRET: "short" };
  const config = loadConfigSections(["database"], env);
  t.is(config.database.url, "postgres://owner:pw@db:5432/app");
  t.true(config.isProduction);
  t.false("jwt" in config, "the parts it did not ask for are not there");
  t.false("http" in config);
  const whole = (() => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as ConfigError).problems;
    }
  })();
  t.is(whole?.length, 2, "the gateway, which uses them all, still refuses both problems");
});

test("problems in the database part stop a database-only tool too", (t) => {
  t.throws(() => loadConfigSections(["database"], { DATABASE_URL: "mysql://x@y/z", DB_POOL_MAX: "0" }), {
    instanceOf: ConfigError,
    message: /DATABASE_URL: unsupported scheme "mysql"[\s\S]*DB_POOL_MAX="0"/,
  });
});

test("pool settings are validated together", (t) => {
  t.regex(problemsOf({ DB_POOL_MIN: "30", DB_POOL_MAX: "10" })[0]!, /DB_POOL_MIN=30: must not exceed DB_POOL_MAX=10/);
  t.deepEqual(loadConfig({ DB_POOL_MAX: "3" }).database.pool.min, 3, "the steady size follows a smaller maximum");
});

test("the loggable description hides passwords and secrets", (t) => {
  const config = loadConfig({ DATABASE_URL: "postgres://owner:hunter2@db:5432/app", JWT_SECRET: "s".repeat(40), REDIS_URL: "redis://:pw@cache:6379" });
  const text = JSON.stringify(describeConfig(config));
  t.false(text.includes("hunter2"));
  t.false(text.includes("s".repeat(40)));
  t.false(text.includes(":pw@"));
  t.regex(text, /postgres:\/\/owner:\*\*\*@db:5432\/app/);
});

test("Redis: seed 003's 5 s connect and command timeouts and TLS 1.3 by default; a CA file only with rediss://", (t) => {
  t.deepEqual(loadConfig({}, "/srv/app").redis, {
    url: undefined, keyPrefix: "spendgate", connectTimeoutMs: 5000, commandTimeoutMs: 5000, tlsCaFile: undefined, tlsMinVersion: "TLSv1.3",
  });
  const tls = loadConfig({ REDIS_URL: "rediss://cache:6380", REDIS_TLS_CA_FILE: "certs/ca.pem", REDIS_CONNECT_TIMEOUT_MS: "1500", REDIS_COMMAND_TIMEOUT_MS: "800", REDIS_TLS_MIN_VERSION: "TLSv1.2" }, "/srv/app").redis;
  t.like(tls, { tlsCaFile: "/srv/app/certs/ca.pem", connectTimeoutMs: 1500, commandTimeoutMs: 800, tlsMinVersion: "TLSv1.2" });
  const problems = problemsOf({ REDIS_URL: "redis://cache:6379", REDIS_TLS_CA_FILE: "ca.pem", REDIS_COMMAND_TIMEOUT_MS: "0", REDIS_TLS_MIN_VERSION: "TLSv1.1" });
  t.deepEqual(problems, [
    "REDIS_TLS_CA_FILE: only used with a rediss:// REDIS_URL (TLS)",
    'REDIS_COMMAND_TIMEOUT_MS="0": expected a whole number from 1 to 600000',
    'REDIS_TLS_MIN_VERSION="TLSv1.1": expected one of TLSv1.2, TLSv1.3',
  ]);
  t.regex(problemsOf({ REDIS_URL: "http://cache" })[0]!, /REDIS_URL: not a valid URL \(expected redis:\/\/\.\.\. or rediss:\/\/\.\.\.\)/);
});

test("storage: a local directory by default; S3 settings are validated together, each with a clear message", (t) => {
  const local = loadConfig({}, "/srv/app").storage;
  t.deepEqual(local, { s3: undefined, local: { dir: "/srv/app/.data/uploads", signingSecret: undefined, publicUrl: undefined } });
  const minio = loadConfig({ S3_BUCKET: "spend-data", S3_ENDPOINT: "http://minio:9000", S3_FORCE_PATH_STYLE: "true" }, "/srv/app").storage;
  t.deepEqual(minio.s3, { bucket: "spend-data", endpoint: "http://minio:9000", region: "us-east-1", forcePathStyle: true });
  const problems = problemsOf({ S3_BUCKET: "Spend_Data", S3_ENDPOINT: "minio:9000", S3_REGION: "EU West", UPLOAD_SIGNING_SECRET: "short" });
  t.deepEqual(problems, [
    'S3_BUCKET="Spend_Data": not a valid bucket name (3 to 63 characters: lowercase letters, digits, dots and dashes)',
    "S3_ENDPOINT: not a valid URL (expected https://... or http://...)",
    'S3_REGION="EU West": expected a region name such as eu-west-1 (MinIO accepts us-east-1)',
    "UPLOAD_SIGNING_SECRET: too short (expected at least 32 bytes; `openssl rand -base64 48` makes one)",
  ]);
  t.deepEqual(problemsOf({ S3_ENDPOINT: "http://minio:9000", S3_FORCE_PATH_STYLE: "true" }), [
    "S3_ENDPOINT: only used with S3_BUCKET (without it uploads are kept in UPLOADS_DIR)",
    "S3_FORCE_PATH_STYLE: only used with S3_BUCKET (without it uploads are kept in UPLOADS_DIR)",
  ]);
  t.deepEqual(problemsOf({ S3_BUCKET: "spend-data" }), [
    "S3_REGION: required with S3_BUCKET on AWS (the bucket's region, e.g. eu-west-1); set S3_ENDPOINT for another S3-compatible store",
  ]);
});

test("phone verification codes go to the log by default; the webhook sender needs its URL", (t) => {
  t.deepEqual(loadConfig({}).sms, { provider: "log", webhookUrl: undefined, webhookToken: undefined, perPhonePerHour: 5 });
  t.like(loadConfig({ SMS_PROVIDER: "webhook", SMS_WEBHOOK_URL: "https://sms.example.com/send", SMS_PER_PHONE_PER_HOUR: "3" }).sms, { provider: "webhook", perPhonePerHour: 3 });
  t.deepEqual(problemsOf({ SMS_PROVIDER: "webhook" }), ["SMS_WEBHOOK_URL: required when SMS_PROVIDER=webhook"]);
  t.deepEqual(problemsOf({ SMS_PROVIDER: "carrier-pigeon", SMS_PER_PHONE_PER_HOUR: "0" }), [
    'SMS_PROVIDER="carrier-pigeon": expected one of log, webhook',
    'SMS_PER_PHONE_PER_HOUR="0": expected a whole number from 1 to 1000',
  ]);
});
