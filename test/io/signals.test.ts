// Stopping the gateway each documented way: SIGTERM to `npm start` (a process manager), Ctrl-C
// (SIGINT to the terminal's whole process group), and `docker stop` (SIGTERM to the Dockerfile's
// CMD). Each time a request in flight is finished, not cut off, the process exits 0 without
// logging a database error, and the embedded PostgreSQL is stopped, not left running.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import pg from "pg";
import { PROJECT_ROOT } from "../../src/projectRoot.ts";
import { waitUntilBlocked } from "../helpers/database.ts";
import { cleanUp, freePort, LISTENING, spawnProcess, warningsIn, type Spawned } from "../helpers/process.ts";

interface Running {
  run: Spawned;
  base: string;
  dataDir: string;
}

async function start(t: ExecutionContext, command: string, args: string[]): Promise<Running> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-signals-"));
  await fs.chmod(dataDir, 0o755); // as root the embedded cluster runs as `postgres`
  const port = await freePort();
  const run = spawnProcess(command, args, { DATA_DIR: dataDir, PORT: String(port), NODE_ENV: "development", LOG_LEVEL: "info" }, { detached: true });
  t.teardown(() => cleanUp(run, dataDir));
  await run.waitForOutput(LISTENING);
  return { run, base: `http://127.0.0.1:${port}`, dataDir };
}

/** The embedded cluster's owner connection, from the files it keeps next to and in its data directory. */
async function ownerUrl(dataDir: string): Promise<string> {
  const { superuserPassword } = JSON.parse(await fs.readFile(path.join(dataDir, "pg.credentials.json"), "utf8"));
  const port = (await fs.readFile(path.join(dataDir, "pg", "postmaster.pid"), "utf8")).split("\n")[3];
  return `postgres://postgres:${encodeURIComponent(superuserPassword)}@127.0.0.1:${port}/spendgate`;
}

const register = (base: string, email: string) =>
  fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `mutation { register(input: {email: "${email}", password: "password123"}) { userId } }` }),
  }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));

/**
 * Sends `stop` while a request waits on a lock held by the test, lets the request finish once
 * shutdown has begun, then checks how the process ended.
 */
async function stopWithRequestInFlight(t: ExecutionContext, { run, base, dataDir }: Running, stop: () => void): Promise<void> {
  const owner = new pg.Pool({ connectionString: await ownerUrl(dataDir), max: 2 });
  try {
    const lock = await owner.connect();
    await lock.query("begin; lock table app_public.users in access exclusive mode");
    const inFlight = register(base, "in-flight@example.com");
    await waitUntilBlocked(owner, { count: 1 });
    stop();
    await run.waitForOutput(/"msg":"shutting down"/);
    await lock.query("rollback");
    lock.release();
    const answered = await inFlight;
    t.is(answered.status, 200);
    t.truthy(answered.body.data?.register?.userId, JSON.stringify(answered.body));
  } finally {
    await owner.end();
  }
  t.deepEqual(await run.exited, { code: 0, signal: null }, run.output());
  t.deepEqual(warningsIn(run.output()), [], "no warning or error was logged while shutting down");
  t.regex(run.output(), /"msg":"embedded PostgreSQL stopped"/);
  await t.throwsAsync(fs.access(path.join(dataDir, "pg", "postmaster.pid")), undefined, "PostgreSQL is not left running");
}

test.serial("npm start: SIGTERM to npm drains the request in flight, exits 0 and stops the embedded PostgreSQL", async (t) => {
  const running = await start(t, "npm", ["start"]);
  await stopWithRequestInFlight(t, running, () => running.run.child.kill("SIGTERM"));
});

test.serial("Ctrl-C on npm start: SIGINT to the whole process group drains, exits 0, and logs no database error", async (t) => {
  const running = await start(t, "npm", ["start"]);
  await stopWithRequestInFlight(t, running, () => process.kill(-running.run.child.pid!, "SIGINT"));
});

test.serial("docker stop: SIGTERM to the Dockerfile's CMD drains and exits 0", async (t) => {
  const dockerfile = await fs.readFile(path.join(PROJECT_ROOT, "Dockerfile"), "utf8");
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  t.is(cmd[0], "node", "the image runs node itself: no npm or shell that would swallow the signal");
  const running = await start(t, cmd[0]!, cmd.slice(1));
  await stopWithRequestInFlight(t, running, () => running.run.child.kill("SIGTERM"));
});

test.serial("npm run worker: SIGTERM stops the worker and the embedded PostgreSQL, exit 0", async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-signals-"));
  await fs.chmod(dataDir, 0o755);
  const run = spawnProcess("npm", ["run", "worker"], { DATA_DIR: dataDir, NODE_ENV: "development", LOG_LEVEL: "debug" }, { detached: true });
  t.teardown(() => cleanUp(run, dataDir));
  await run.waitForOutput(/"msg":"worker started"/);
  run.child.kill("SIGTERM");
  t.deepEqual(await run.exited, { code: 0, signal: null }, run.output());
  t.deepEqual(warningsIn(run.output()), []);
  await t.throwsAsync(fs.access(path.join(dataDir, "pg", "postmaster.pid")), undefined, "PostgreSQL is not left running");
});
