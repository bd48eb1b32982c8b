// `npm test`: runs the ava suite against TEST_DATABASE_URL (a server we may create databases on,
// e.g. CI's PostgreSQL 15 at postgres://postgres@127.0.0.1:5432/postgres) or, when it is not set,
// against a throw-away embedded PostgreSQL started here for this run and removed afterwards.
// Arguments are passed to ava (`npm test -- test/config.test.ts`).
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmbeddedPostgres, type EmbeddedCluster } from "../src/database/embedded.ts";
import { createLogger } from "../src/logger.ts";

// ava's package exports do not include package.json: find its CLI next to the resolved main entry.
const avaCli = path.join(path.dirname(fileURLToPath(import.meta.resolve("ava"))), "cli.js");

let cluster: EmbeddedCluster | undefined;
let clusterParent: string | undefined;
const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "test", GRAPHILE_ENV: "development" };
if (!env.TEST_DATABASE_URL) {
  clusterParent = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-test-"));
  await fs.chmod(clusterParent, 0o755); // as root the cluster runs as `postgres`, which must reach it
  cluster = await startEmbeddedPostgres({
    dir: path.join(clusterParent, "pg"),
    authMethod: "trust",
    persistent: false,
    log: createLogger(process.env.LOG_LEVEL ?? "warn"),
  });
  env.TEST_DATABASE_URL = cluster.url("postgres");
  console.log(`test database: embedded PostgreSQL on port ${cluster.port}`);
} else {
  console.log(`test database: ${new URL(env.TEST_DATABASE_URL).host} (TEST_DATABASE_URL)`);
}

const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, [avaCli, ...process.argv.slice(2)], { stdio: "inherit", env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  child.on("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
});
await cluster?.stop();
if (clusterParent) await fs.rm(clusterParent, { recursive: true, force: true });
process.exit(code);
