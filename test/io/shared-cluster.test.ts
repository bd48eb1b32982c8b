// The embedded PostgreSQL is one server per data directory, shared by every process that uses it:
// a command-line tool run while `npm start` serves joins the running server (no postmaster.pid
// lock error) and leaves it running for the gateway; the last process to stop stops it.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { cleanUp, freePort, LISTENING, spawnProcess } from "../helpers/process.ts";

test.serial("npm run db:seed while npm start runs on the embedded default uses the running server", async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-shared-"));
  await fs.chmod(dataDir, 0o755); // as root the embedded cluster runs as `postgres`
  const port = await freePort();
  const env = { DATA_DIR: dataDir, PORT: String(port), NODE_ENV: "development", LOG_LEVEL: "info" };
  const base = `http://127.0.0.1:${port}`;
  const gateway = spawnProcess("npm", ["start"], env, { detached: true });
  t.teardown(() => cleanUp(gateway, dataDir));
  try {
    await gateway.waitForOutput(LISTENING);
    const postmaster = await fs.readFile(path.join(dataDir, "pg", "postmaster.pid"), "utf8");

    const seed = spawnProcess("npm", ["run", "db:seed"], { ...env, LOG_LEVEL: "debug" });
    t.deepEqual(await seed.exited, { code: 0, signal: null }, seed.output());
    t.regex(seed.output(), /demo data loaded/);
    t.regex(seed.output(), /using the embedded PostgreSQL that is already running/);
    t.regex(seed.output(), /embedded PostgreSQL left running: other processes use it/);
    t.notRegex(seed.output(), /postmaster\.pid/);

    t.is(await fs.readFile(path.join(dataDir, "pg", "postmaster.pid"), "utf8"), postmaster, "the same server still runs");
    const login = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: 'mutation { login(input: {email: "alice@example.com", password: "password123"}) { userId } }' }),
    }).then((response) => response.json() as Promise<any>);
    t.truthy(login.data?.login?.userId, "the gateway serves the seeded data after the tool has exited");
  } finally {
    gateway.child.kill("SIGTERM");
  }
  t.deepEqual(await gateway.exited, { code: 0, signal: null }, gateway.output());
  await t.throwsAsync(fs.access(path.join(dataDir, "pg", "postmaster.pid")), undefined, "the last one out stopped the server");
});
