// Reads on a real streaming replica (issue 15 part 5): this file makes a primary and a hot standby
// of it on loopback (initdb, pg_basebackup -R, PostgreSQL's own binaries), migrates the primary
// and runs gateways with DATABASE_READ_URL pointing at the standby. Pausing WAL replay on the
// standby makes it visibly stale, so each answer shows which server served it: queries on the
// replica, mutations on the primary (a standby refuses writes), a caller's own writes read back
// from the primary, a lagging replica skipped, and a stopped one replaced by the primary at once.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import test from "ava";
import pg from "pg";
import { AUTHENTICATOR_ROLE } from "../../src/database/connect.ts";
import { runMigrations } from "../../src/database/migrate.ts";
import type { TestDatabase } from "../helpers/database.ts";
import { createUser } from "../helpers/fixtures.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const BIN = process.env.PG15_BIN ?? "/usr/lib/postgresql/15/bin";
const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary, as the postgres OS user when we are root (the server refuses root). */
function pgTool(tool: string, args: string[]): void {
  const [command, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", path.join(BIN, tool), ...args]] : [path.join(BIN, tool), args];
  const run = spawnSync(command, argv, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed: ${run.stderr || run.stdout}`);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-replica-"));
const servers: { data: string; port: number }[] = [];
const url = (port: number, database = "spendgate", user = "postgres") => `postgres://${user}@127.0.0.1:${port}/${database}`;

async function startServer(data: string): Promise<number> {
  const port = await freePort();
  pgTool("pg_ctl", ["-D", data, "-l", path.join(dir, `${path.basename(data)}.log`), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);
  servers.push({ data, port });
  return port;
}

let primaryPort: number;
let replicaPort: number;
let primary: pg.Pool;
let replica: pg.Pool;
/** A: reads your writes for a minute, accepts any lag. B: accepts no lag at all. C: a 1 ms window. */
let a: TestGateway;
let b: TestGateway;
let c: TestGateway;
let carol: string;
let alice: string;

/** Resolves once the standby has replayed everything the primary has written so far. */
async function caughtUp(): Promise<void> {
  const { rows: [{ lsn }] } = await primary.query("select pg_current_wal_lsn()::text as lsn");
  for (let attempt = 0; attempt < 200; attempt++) {
    const { rows: [{ behind }] } = await replica.query("select pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()) > 0 as behind", [lsn]);
    if (!behind) return;
    await new Promise((resolve) => setTimeout(resolve, 25)); // polling the standby's replay position: PostgreSQL 15 has no wait-for-LSN
  }
  throw new Error("the replica did not catch up in 5 s");
}

const projectNames = async (gateway: TestGateway, userId: string) => {
  const response = await gateway.graphql("{ projects { nodes { name } } }", {}, await gateway.as(userId));
  if (response.status !== 200 || response.body.errors) throw new Error(JSON.stringify(response.body));
  return response.body.data.projects.nodes.map((n: { name: string }) => n.name).sort();
};

test.before(async () => {
  if (asRoot) execFileSync("chown", ["postgres", dir]);
  const primaryData = path.join(dir, "primary");
  pgTool("initdb", ["-D", primaryData, "-U", "postgres", "--auth=trust", "--no-sync"]);
  primaryPort = await startServer(primaryData);
  const replicaData = path.join(dir, "replica");
  pgTool("pg_basebackup", ["-h", "127.0.0.1", "-p", String(primaryPort), "-U", "postgres", "-D", replicaData, "-R", "-X", "stream", "--no-sync"]);
  replicaPort = await startServer(replicaData);

  const admin = new pg.Client({ connectionString: url(primaryPort, "postgres") });
  await admin.connect();
  await admin.query("create database spendgate");
  await admin.end();
  await runMigrations(url(primaryPort), "up");
  primary = new pg.Pool({ connectionString: url(primaryPort), max: 2 });
  replica = new pg.Pool({ connectionString: url(replicaPort), max: 2 });
  replica.on("error", () => undefined); // the last test stops the replica under its idle clients
  carol = await createUser(primary);
  alice = await createUser(primary);
  await caughtUp();

  const db = { ownerUrl: url(primaryPort), authUrl: url(primaryPort, "spendgate", AUTHENTICATOR_ROLE) } as TestDatabase;
  // Checks run when the test asks (check()), so that every state change is the test's doing.
  const env = { DATABASE_READ_URL: url(replicaPort), REPLICA_CHECK_INTERVAL_MS: "600000" };
  a = await startTestGateway(db, { ...env, REPLICA_READ_YOUR_WRITES_MS: "60000", REPLICA_MAX_LAG_MS: "600000" });
  b = await startTestGateway(db, { ...env, REPLICA_MAX_LAG_MS: "0" });
  c = await startTestGateway(db, { ...env, REPLICA_READ_YOUR_WRITES_MS: "1", REPLICA_MAX_LAG_MS: "600000" });
});

test.after.always(async () => {
  await a?.close();
  await b?.close();
  await c?.close();
  await primary?.end();
  await replica?.end();
  for (const server of servers.reverse()) {
    try {
      pgTool("pg_ctl", ["-D", server.data, "-m", "immediate", "-w", "stop"]);
    } catch {
      // already stopped by the test
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test.serial("queries run on the replica, mutations on the primary; a caller reads their own writes from the primary", async (t) => {
  t.like(await a.replicas!.check(), { usable: true, lagMs: 0 });
  t.like(await b.replicas!.check(), { usable: true, lagMs: 0 });
  await replica.query("select pg_wal_replay_pause()");
  await primary.query("insert into app_public.projects (user_id, name) values ($1, 'written on the primary')", [carol]);

  t.deepEqual(await projectNames(a, carol), [], "served by the paused replica, which has not seen the new row");

  const created = await a.graphql('mutation { createProject(input: {project: {name: "mine"}}) { project { name } } }', {}, await a.as(alice));
  t.deepEqual(created.body, { data: { createProject: { project: { name: "mine" } } } }, "the mutation ran on the primary (a standby refuses writes)");
  t.is((await replica.query("select count(*)::int as n from app_public.projects where user_id = $1", [alice])).rows[0].n, 0, "nothing of it reached the replica");
  t.deepEqual(await projectNames(a, alice), ["mine"], "alice reads her own write back: from the primary");
  t.like(await c.replicas!.check(), { usable: true });
  await c.graphql('mutation { createProject(input: {project: {name: "mine too"}}) { project { name } } }', {}, await c.as(alice));
  t.deepEqual(await projectNames(c, alice), [], "with a 1 ms window her next read is the replica's again");

  await replica.query("select pg_wal_replay_resume()");
  await caughtUp();
  t.deepEqual(await projectNames(a, carol), ["written on the primary"], "the replica caught up");
});

test.serial("a replica lagging beyond REPLICA_MAX_LAG_MS is skipped until it catches up", async (t) => {
  await replica.query("select pg_wal_replay_pause()");
  await primary.query("insert into app_public.projects (user_id, name) values ($1, 'while lagging')", [carol]);
  const lagging = await b.replicas!.check();
  t.false(lagging.usable);
  t.regex(lagging.reason ?? "", /^lagging \d+ ms$/);
  t.deepEqual(await projectNames(b, carol), ["while lagging", "written on the primary"], "b reads from the primary");
  t.deepEqual(await projectNames(a, carol), ["written on the primary"], "a accepts the lag and still reads the replica");

  await replica.query("select pg_wal_replay_resume()");
  await caughtUp();
  t.like(await b.replicas!.check(), { usable: true, lagMs: 0 });
});

test.serial("a replica that stops is skipped at once: the query in flight is answered by the primary", async (t) => {
  const text = async () => (await fetch(`${a.url}/metrics`)).text();
  const metrics = async () => (await text()).match(/spendgate_db_operations_routed_total\{target="replica"\} (\d+)/)?.[1];
  t.regex(await text(), /^spendgate_db_pool_connections\{pool="replica"\} \d+$/m, "the replica's pool is monitored like the others");
  t.regex(await text(), /^spendgate_db_replica_usable 1$/m);
  const routedBefore = Number(await metrics());
  t.true(routedBefore > 0, "queries went to the replica so far");
  pgTool("pg_ctl", ["-D", servers[1]!.data, "-m", "fast", "-w", "stop"]);

  t.deepEqual(await projectNames(a, carol), ["while lagging", "written on the primary"]);
  t.like(a.replicas!.state(), { usable: false });
  t.regex(a.replicas!.state().reason ?? "", /^down: /);
  t.deepEqual(await projectNames(a, carol), ["while lagging", "written on the primary"]);
  t.is(Number(await metrics()), routedBefore + 1, "only the query in flight tried the replica");
  t.like(await a.replicas!.check(), { usable: false });
  t.regex(await text(), /^spendgate_db_replica_usable 0$/m);
});
