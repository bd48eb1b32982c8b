// Backups with pg_dump and pg_restore of the server's major version, on a PostgreSQL 15 server of
// the test's own (whatever TEST_DATABASE_URL is): rows written through the API, an online backup,
// the database lost, restored, and every table's checksum the same.
import fs from "node:fs/promises";
import path from "node:path";
import test from "ava";
import pg from "pg";
import { createTestCluster, type TestCluster } from "../helpers/pgCluster.ts";
import { backupRestoreRoundTrip, npm, startGateway } from "../helpers/restoreFlow.ts";
import { TEST_JWT_SECRET } from "../helpers/gateway.ts";

let cluster: TestCluster;
test.before(async () => {
  cluster = await createTestCluster();
});
test.after.always(() => cluster?.destroy());

const sql = async (url: string, text: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
};

test.serial("a database written through the API is backed up with pg_dump, lost and restored with pg_restore, every row the same", async (t) => {
  await sql(cluster.url(), "create database spendgate");
  const env = {
    NODE_ENV: "development",
    DATABASE_URL: cluster.url("spendgate"),
    DATA_DIR: path.join(cluster.root, "app"),
    BACKUP_DIR: path.join(cluster.root, "backups"),
    JWT_SECRET: TEST_JWT_SECRET,
    WORKER: "off",
  };
  await backupRestoreRoundTrip(t, {
    env,
    checksumUrl: async () => cluster.url("spendgate"),
    lose: async () => void (await sql(cluster.url(), "drop database spendgate with (force)")),
    restoreArgs: ["--replace-database", "spendgate"],
  });
  const [dump] = (await fs.readdir(env.BACKUP_DIR)).filter((name) => name.endsWith(".dump"));
  t.regex(dump!, /^spendgate-spendgate-\d{8}T\d{6}\.\d{3}Z\.dump$/);
  const manifest = JSON.parse(await fs.readFile(path.join(env.BACKUP_DIR, `${dump}.json`), "utf8"));
  t.like(manifest, { kind: "logical", database: "spendgate", serverVersion: (await sql(cluster.url(), "show server_version")).rows[0].server_version });
});

test.serial("a damaged backup, or one from a newer schema, is refused before anything changes", async (t) => {
  const env = { NODE_ENV: "development", DATABASE_URL: cluster.url("spendgate"), BACKUP_DIR: path.join(cluster.root, "backups"), DATA_DIR: path.join(cluster.root, "app") };
  const [dump] = (await fs.readdir(env.BACKUP_DIR)).filter((name) => name.endsWith(".dump"));
  const file = path.join(env.BACKUP_DIR, dump!);
  const manifest = JSON.parse(await fs.readFile(`${file}.json`, "utf8"));

  const newer = path.join(cluster.root, "newer.dump");
  await fs.copyFile(file, newer);
  await fs.writeFile(`${newer}.json`, JSON.stringify({ ...manifest, schemaVersion: "29990101000000-from-the-future" }));
  const refusedNewer = await restoreFails(t, env, newer);
  t.regex(refusedNewer, /schema version 29990101000000-from-the-future, which this code's migrations do not include/);

  const damaged = path.join(cluster.root, "damaged.dump");
  await fs.writeFile(damaged, Buffer.concat([await fs.readFile(file), Buffer.from("x")]));
  await fs.copyFile(`${file}.json`, `${damaged}.json`);
  t.regex(await restoreFails(t, env, damaged), /is damaged: its SHA-256 is [0-9a-f]{64}, its manifest says/);

  t.regex(await restoreFails(t, env, file, ["--replace-database", "postgres"]), /does not name the configured database \(spendgate\): nothing was changed/);
  const databases = (await sql(cluster.url(), "select datname from pg_database where datname like 'spendgate%' order by 1")).rows.map((row) => row.datname);
  t.deepEqual(databases, ["spendgate"], "nothing was created or renamed");

  // Without --replace-database: a new database beside the configured one.
  t.regex(await npm(t, ["db:restore", "--", file, "--into", "spendgate_copy"], env), /^restored +into database spendgate_copy$/m);
});

async function restoreFails(t: import("ava").ExecutionContext, env: Record<string, string>, file: string, args: string[] = []): Promise<string> {
  const { spawnProcess } = await import("../helpers/process.ts");
  const run = spawnProcess("npm", ["run", "-s", "db:restore", "--", file, ...args], env);
  t.is((await run.exited).code, 1, run.output());
  return run.output();
}

test.serial("migrations as a step of their own: a gateway with MIGRATE_ON_START=false serves and says the schema is behind; production's db:migrate takes a backup first", async (t) => {
  const env = { DATABASE_URL: cluster.url("spendgate"), BACKUP_DIR: path.join(cluster.root, "before-migrate"), DATA_DIR: path.join(cluster.root, "app") };
  const { migrationNames } = await import("../../src/database/migrate.ts");
  const [previous, last] = migrationNames().slice(-2).map((name) => name.slice(1));
  t.regex(await npm(t, ["db:rollback"], { ...env, NODE_ENV: "development" }), new RegExp(`^rolled back  ${last}$`, "m"));

  const gateway = await startGateway(t, { ...env, NODE_ENV: "development", JWT_SECRET: TEST_JWT_SECRET, WORKER: "off", MIGRATE_ON_START: "false" });
  const behind = await fetch(`${gateway.base}/readyz`);
  t.is(behind.status, 503);
  t.like(await behind.json(), { schema: "behind", pending: [`/${last}`] });

  // A migration that fails says where the backup taken before it is.
  // Whatever the newest migration is, it changes the schema: an event trigger refuses that.
  await sql(
    cluster.url("spendgate"),
    `create function public.refuse_ddl() returns event_trigger language plpgsql as $$ begin raise exception 'schema changes are refused for this test'; end $$;
     create event trigger refuse_ddl on ddl_command_start execute function public.refuse_ddl()`,
  );
  const { spawnProcess } = await import("../helpers/process.ts");
  const failing = spawnProcess("npm", ["run", "-s", "db:migrate"], { ...env, NODE_ENV: "production", CONFIRM_PRODUCTION_MIGRATION: "true" });
  t.is((await failing.exited).code, 1, failing.output());
  t.regex(failing.output(), /refused for this test; the backup taken before it: (\S+\.dump) \(npm run db:restore -- \1 --replace-database spendgate\)/);
  await sql(cluster.url("spendgate"), "drop event trigger refuse_ddl; drop function public.refuse_ddl()");

  const migrated = await npm(t, ["db:migrate"], { ...env, NODE_ENV: "production", CONFIRM_PRODUCTION_MIGRATION: "true" });
  const lines = migrated.trim().split("\n");
  t.regex(lines[0]!, /^backup +\S+\.dump$/, migrated);
  t.is(lines[1], `migrated     ${last}`);
  const backup = lines[0]!.split(/ +/)[1]!;
  t.like(JSON.parse(await fs.readFile(`${backup}.json`, "utf8")), { kind: "logical", schemaVersion: previous });

  const current = await fetch(`${gateway.base}/readyz`);
  t.deepEqual([current.status, await current.json()], [200, { status: "ready", schema: "current" }]);
  gateway.process.child.kill("SIGTERM");
  await gateway.process.exited;
});
