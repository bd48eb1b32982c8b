// Surviving the database: while PostgreSQL is away the gateway stays up and /readyz says 503;
// when it is back the gateway serves again without a restart. A pool that is exhausted fails a
// request after DB_POOL_CONNECTION_TIMEOUT_MS instead of hanging.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { loadConfig } from "../../src/config.ts";
import { openDatabase, type DatabaseTarget } from "../../src/database/connect.ts";
import { startEmbeddedPostgres } from "../../src/database/embedded.ts";
import { prepareDatabase } from "../../src/database/prepare.ts";
import { createLogger } from "../../src/logger.ts";
import { startGateway, type Gateway } from "../../src/server/gateway.ts";
import { waitUntilBlocked } from "../helpers/database.ts";
import { TEST_JWT_SECRET } from "../helpers/gateway.ts";

const log = createLogger("silent");
let dataDir: string;
let database: DatabaseTarget;
let gateway: Gateway;
const config = (extra: Record<string, string> = {}) =>
  loadConfig({ NODE_ENV: "test", PORT: "0", JWT_SECRET: TEST_JWT_SECRET, WORKER: "off", DATA_DIR: dataDir, DB_POOL_CONNECTION_TIMEOUT_MS: "1000", ...extra });

test.before(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-restart-"));
  await fs.chmod(dataDir, 0o755);
  database = await openDatabase(config().database, log);
  await prepareDatabase(database, config(), log);
  gateway = await startGateway(config({ DB_POOL_MAX: "2" }), log, database);
});
test.after.always(async () => {
  await gateway?.close();
  await database?.embedded?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

const register = (email: string) =>
  fetch(`${gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `mutation { register(input: {email: "${email}", password: "password123"}) { userId } }` }),
  }).then((response) => response.json() as Promise<any>);

test.serial("a database restart while serving: 503 on /readyz while it is away, serving again when it is back", async (t) => {
  t.truthy((await register("before@example.com")).data.register.userId);
  const port = database.embedded!.port;
  await database.embedded!.stop();

  const readyWhileDown = await fetch(`${gateway.url}/readyz`);
  t.is(readyWhileDown.status, 503);
  t.regex(((await readyWhileDown.json()) as any).reason, /^database unreachable: /);
  t.is((await fetch(`${gateway.url}/healthz`)).status, 200, "the process stays alive");
  const failed = await register("during@example.com");
  t.is(failed.data?.register ?? null, null);
  t.truthy(failed.errors?.length);

  database.embedded = await startEmbeddedPostgres({ dir: config().database.embeddedDir, port, authMethod: "scram-sha-256", persistent: true, log });
  // The pools dropped the connections the restart cut; the next requests open new ones.
  t.is((await fetch(`${gateway.url}/readyz`)).status, 200);
  t.truthy((await register("after@example.com")).data.register.userId);
});

test.serial("an exhausted pool fails a request after DB_POOL_CONNECTION_TIMEOUT_MS instead of hanging", async (t) => {
  // Two requests wait on a lock held by the owner, each holding one of the two API connections
  // (DB_POOL_MAX=2); a third request then finds no free connection.
  const { default: pg } = await import("pg");
  const owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  await owner.query("begin; lock table app_public.users in access exclusive mode");
  try {
    const slow = [register("a@example.com"), register("b@example.com")]; // each holds an API connection, waiting on the lock
    const ownerPool = new pg.Pool({ connectionString: database.ownerUrl, max: 1 });
    await waitUntilBlocked(ownerPool, { count: 2 });
    await ownerPool.end();
    const started = Date.now();
    const third = await register("c@example.com");
    const elapsed = Date.now() - started;
    t.is(third.data?.register ?? null, null);
    t.true(elapsed >= 900 && elapsed < 5000, `failed after ${elapsed} ms`);
    await owner.query("rollback");
    for (const result of await Promise.all(slow)) t.truthy(result.data.register.userId);
  } finally {
    await owner.end();
  }
});
