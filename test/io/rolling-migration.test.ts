// Zero downtime during a migration (seed 004): gateway A serves a steady load; the expand
// migration of docs/expand-contract/ is applied under that load (with lock_timeout); A keeps
// serving (its /readyz says the database is ahead); gateway B starts on the new schema, joins,
// A leaves the rotation and is stopped (SIGTERM: it drains). No request fails, and the test
// prints the numbers.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { register, withToken } from "../api/client.ts";
import { DEFINITIONS_DIR, MIGRATIONS_DIR, runMigrations } from "../../src/database/migrate.ts";
import { PROJECT_ROOT } from "../../src/projectRoot.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { TEST_JWT_SECRET } from "../helpers/gateway.ts";
import { startGateway } from "../helpers/restoreFlow.ts";

const EXPAND = "20261130060000-project-summaries";

let db: TestDatabase;
let migrationsDir: string;
test.before(async () => {
  db = await createTestDatabase();
  migrationsDir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-rolling-"));
  await fs.cp(MIGRATIONS_DIR, migrationsDir, { recursive: true });
  await fs.writeFile(path.join(migrationsDir, `${EXPAND}.js`), 'module.exports = require("./sql-migration.cjs")(__filename);\n');
  for (const direction of ["up", "down"]) {
    await fs.copyFile(path.join(PROJECT_ROOT, "docs/expand-contract", `${EXPAND}-${direction}.sql`), path.join(migrationsDir, "sqls", `${EXPAND}-${direction}.sql`));
  }
});
test.after.always(async () => {
  await db?.drop();
  if (migrationsDir) await fs.rm(migrationsDir, { recursive: true, force: true });
});

interface Outcome {
  backend: string;
  ok: boolean;
  ms: number;
  detail?: string;
}

test.serial("a migration and a rolling restart under steady load: zero failed requests", async (t) => {
  const env = { DATABASE_URL: db.ownerUrl, AUTH_DATABASE_URL: db.authUrl, NODE_ENV: "development", JWT_SECRET: TEST_JWT_SECRET, WORKER: "off", MIGRATE_ON_START: "false" };
  const a = await startGateway(t, env);
  const user = await register(a.base);

  // The load balancer's rotation, and a steady load: 4 clients, each sending its next request as
  // soon as the previous one is answered, alternating a write and a read.
  const rotation = [a.base];
  const outcomes: Outcome[] = [];
  const waiters: { when: () => boolean; resolve: () => void }[] = [];
  const served = (backend: string) => outcomes.filter((o) => o.backend === backend).length;
  const until = (when: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      if (when()) return resolve();
      waiters.push({ when, resolve });
      if (!running) reject(new Error("the load stopped"));
    });
  let running = true;
  let sent = 0;
  const inFlight = new Map<string, number>();
  const client = async () => {
    while (running) {
      const backend = rotation[sent++ % rotation.length]!;
      inFlight.set(backend, (inFlight.get(backend) ?? 0) + 1);
      const started = performance.now();
      const api = withToken(backend, user.accessToken);
      let outcome: Outcome;
      try {
        const response =
          sent % 2 === 0
            ? await api.post("mutation($n: String!) { createProject(input: {project: {name: $n}}) { project { projectId } } }", { n: `load-${sent}` })
            : await api.post("query { projects { totalCount } }");
        const ok = response.status === 200 && !response.body.errors;
        outcome = { backend, ok, ms: performance.now() - started, detail: ok ? undefined : `${response.status} ${JSON.stringify(response.body.errors)}` };
      } catch (error) {
        outcome = { backend, ok: false, ms: performance.now() - started, detail: String(error) };
      }
      inFlight.set(backend, inFlight.get(backend)! - 1);
      outcomes.push(outcome);
      for (const waiter of waiters.filter((w) => w.when())) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const clients = Array.from({ length: 4 }, client);
  t.teardown(() => {
    running = false; // also when an assertion below failed
  });

  await until(() => served(a.base) >= 40);
  const migrationStarted = performance.now();
  const events = await runMigrations(db.ownerUrl, "up", { migrationsDir, definitionsDir: DEFINITIONS_DIR, lockTimeoutMs: 2000, lockRetries: 10 });
  const migrationMs = performance.now() - migrationStarted;
  t.deepEqual(events.filter((e) => e.type === "migrated"), [{ type: "migrated", migration: EXPAND }]);
  const aReady = await fetch(`${a.base}/readyz`);
  t.is(aReady.status, 200);
  t.like(await aReady.json(), { status: "ready", schema: "ahead", unknownMigrations: [`/${EXPAND}`] });
  const servedByADuringMigration = served(a.base);

  const b = await startGateway(t, env);
  t.is((await fetch(`${b.base}/readyz`)).status, 200);
  rotation.push(b.base);
  await until(() => served(b.base) >= 40);
  // Out of the rotation; once the requests it was given are answered (a load balancer's
  // deregistration delay: a request racing the close of an idle keep-alive connection would
  // otherwise fail on the client's side), it is stopped, and drains.
  rotation.splice(rotation.indexOf(a.base), 1);
  await until(() => !inFlight.get(a.base));
  a.process.child.kill("SIGTERM");
  t.deepEqual(await a.process.exited, { code: 0, signal: null }, a.process.output());
  const servedByB = served(b.base);
  await until(() => served(b.base) >= servedByB + 40);
  running = false;
  await Promise.all(clients);

  const summary = await withToken(b.base, user.accessToken).post("query { projects(first: 1) { nodes { summary } } }");
  t.deepEqual(summary.body.errors, undefined, "B serves the new schema");
  b.process.child.kill("SIGTERM");
  await b.process.exited;

  const failed = outcomes.filter((o) => !o.ok);
  const ms = outcomes.map((o) => o.ms).sort((x, y) => x - y);
  const numbers = {
    requests: outcomes.length,
    failed: failed.length,
    servedByA: served(a.base),
    servedByB: served(b.base),
    servedByABeforeBStarted: servedByADuringMigration,
    migrationMs: Math.round(migrationMs),
    p50Ms: Math.round(ms[Math.floor(ms.length / 2)]!),
    p99Ms: Math.round(ms[Math.floor(ms.length * 0.99)]!),
    maxMs: Math.round(ms.at(-1)!),
  };
  console.log(`rolling migration: ${JSON.stringify(numbers)}`);
  t.log(numbers);
  t.deepEqual(failed.slice(0, 5), [], `${failed.length} failed`);
});
