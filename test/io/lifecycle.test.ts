// The gateway as a process: start-up errors, the embedded default, graceful shutdown.
// Process-level tests: serial, apart from the fast spec tests.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { freePort, LISTENING, MAIN, spawnNode } from "../helpers/process.ts";

test.serial("an unreachable DATABASE_URL stops start-up after bounded retries with one clear line", async (t) => {
  const started = Date.now();
  const run = spawnNode(MAIN, { DATABASE_URL: "postgres://someone:secret@127.0.0.1:1/app", DATABASE_CONNECT_RETRIES: "2" });
  const { code } = await run.exited;
  t.is(code, 1);
  const lastLine = run.output().trim().split("\n").at(-1);
  t.is(lastLine, "spendgate: cannot connect to DATABASE_URL postgres://someone:***@127.0.0.1:1/app: connect ECONNREFUSED 127.0.0.1:1");
  t.false(run.output().includes("secret"), "the password is never printed");
  t.false(/\n\s+at /.test(run.output()), "no stack trace");
  t.true(Date.now() - started >= 700, "it retried with backoff (0.25 s + 0.5 s) before giving up");
});

test.serial("an unparsable DATABASE_URL stops start-up naming the variable", async (t) => {
  const run = spawnNode(MAIN, { DATABASE_URL: "postgres//missing-colon" });
  const { code } = await run.exited;
  t.is(code, 2);
  t.is(run.output().trim(), "spendgate: invalid configuration:\n  - DATABASE_URL: not a URL (expected postgres://user:password@host:5432/database)");
});

test.serial("in a private folder: as root start-up stops with the command that fixes it, otherwise it just works", async (t) => {
  const privateDir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-private-")); // mode 700
  try {
    if (process.getuid?.() !== 0) {
      // The cluster runs as this very user, who can reach its own private folder.
      const port = await freePort();
      const run = spawnNode(MAIN, { DATA_DIR: path.join(privateDir, "data"), PORT: String(port), LOG_LEVEL: "info" });
      await run.waitForOutput(LISTENING);
      t.is((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
      run.child.kill("SIGTERM");
      t.deepEqual(await run.exited, { code: 0, signal: null });
      return;
    }
    const run = spawnNode(MAIN, { DATA_DIR: path.join(privateDir, "data"), PORT: "0" });
    t.is((await run.exited).code, 1);
    t.is(
      run.output().trim().split("\n").at(-1),
      `spendgate: running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot reach ${privateDir}/data ` +
        `(nor the PostgreSQL programs in node_modules) because ${privateDir} is not searchable by other users: ` +
        `run \`chmod o+x ${privateDir}\` (search permission only, not read) or set DATABASE_URL`,
    );
  } finally {
    await fs.rm(privateDir, { recursive: true, force: true });
  }
});

test.serial("with no DATABASE_URL it boots the embedded PostgreSQL; SIGTERM exits 0 and a restart finds the data", async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-start-"));
  await fs.chmod(dataDir, 0o755); // as root, the embedded cluster runs as `postgres`
  const port = await freePort();
  const env = { DATA_DIR: dataDir, PORT: String(port), NODE_ENV: "development", LOG_LEVEL: "info" };
  const base = `http://127.0.0.1:${port}`;
  const graphql = async (query: string) =>
    (await fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) })).json() as Promise<any>;
  try {
    const first = spawnNode(MAIN, env);
    await first.waitForOutput(LISTENING);
    const registered = await graphql('mutation { register(input: {email: "kept@example.com", password: "password123"}) { userId } }');
    t.truthy(registered.data.register.userId, first.output());
    first.child.kill("SIGTERM");
    t.deepEqual(await first.exited, { code: 0, signal: null });

    const second = spawnNode(MAIN, env);
    await second.waitForOutput(LISTENING);
    const login = await graphql('mutation { login(input: {email: "kept@example.com", password: "password123"}) { userId } }');
    t.is(login.data.login.userId, registered.data.register.userId);
    second.child.kill("SIGINT");
    t.deepEqual(await second.exited, { code: 0, signal: null });
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});
