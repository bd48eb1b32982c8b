// `npm test`: runs the ava suite against TEST_DATABASE_URL (a server we may create databases on,
// e.g. CI's PostgreSQL 15 at postgres://postgres@127.0.0.1:5432/postgres) or, when it is not set,
// against a throw-away embedded PostgreSQL started here for this run and removed afterwards.
// Two passes, as PostgREST keeps its io tests: first the fast specs, files in parallel; then the
// process-level tests of test/io/ (processes, signals, restarts, Redis), one file and one test at
// a time, so that they neither slow the specs down nor time out under their load.
// Arguments are passed to ava as one pass (`npm test -- test/config.test.ts`).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
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
  clusterParent = await fs.promises.mkdtemp(path.join(os.tmpdir(), "spendgate-test-"));
  await fs.promises.chmod(clusterParent, 0o755); // as root the cluster runs as `postgres`, which must reach it
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

const testDir = path.dirname(fileURLToPath(import.meta.url));
const testFiles = (fs.readdirSync(testDir, { recursive: true }) as string[])
  .filter((file) => file.endsWith(".test.ts"))
  .map((file) => path.join("test", file))
  .sort();
const isIo = (file: string) => file.startsWith(path.join("test", "io") + path.sep);
const args = process.argv.slice(2);
const passes =
  args.length > 0
    ? [args]
    : [testFiles.filter((file) => !isIo(file)), ["--concurrency=1", "--serial", ...testFiles.filter(isIo)]];

let child: ChildProcess | undefined;
let interrupted = false;
const forward = (signal: NodeJS.Signals) => {
  interrupted = true;
  child?.kill(signal);
};
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
let code = 0;
for (const pass of passes) {
  if (interrupted) break;
  const passCode = await new Promise<number>((resolve) => {
    child = spawn(process.execPath, [avaCli, ...pass], { stdio: "inherit", env });
    child.on("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  code ||= passCode; // a failed first pass still lets the second run and report
}
await cluster?.stop();
if (clusterParent) await fs.promises.rm(clusterParent, { recursive: true, force: true });
process.exit(code);
