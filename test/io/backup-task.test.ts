// The daily backup (crontab: backup_database) run by graphile-worker: with BACKUP_DAILY=true it
// writes a verified backup to BACKUP_DIR; otherwise it does nothing. On a PostgreSQL 15 server of
// the test's own, whose pg_dump the machine has.
import fs from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { Logger, quickAddJob, runOnce } from "graphile-worker";
import pg from "pg";
import { readVerifiedManifest } from "../../src/backup/manifest.ts";
import backupDatabase from "../../src/tasks/backup_database.ts";
import { createTestCluster, type TestCluster } from "../helpers/pgCluster.ts";

let cluster: TestCluster;
test.before(async () => {
  cluster = await createTestCluster();
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  await client.query("create database spendgate");
  await client.end();
});
test.after.always(() => cluster?.destroy());

async function runBackupJob(env: Record<string, string>): Promise<string[]> {
  Object.assign(process.env, { DATABASE_URL: cluster.url("spendgate"), DATA_DIR: path.join(cluster.root, "app"), ...env });
  const connectionString = cluster.url("spendgate");
  await quickAddJob({ connectionString }, "backup_database", {});
  await runOnce({ connectionString, taskList: { backup_database: backupDatabase }, logger: new Logger(() => () => undefined) });
  const dir = path.join(cluster.root, "backups");
  return (await fs.readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".dump")).map((name) => path.join(dir, name));
}

test.serial("without BACKUP_DAILY=true the job does nothing", async (t) => {
  t.deepEqual(await runBackupJob({ BACKUP_DIR: path.join(cluster.root, "backups"), BACKUP_DAILY: "false" }), []);
});

test.serial("with BACKUP_DAILY=true it writes a backup with a manifest that verifies", async (t) => {
  const [file, ...others] = await runBackupJob({ BACKUP_DIR: path.join(cluster.root, "backups"), BACKUP_DAILY: "true" });
  t.deepEqual(others, []);
  t.like(await readVerifiedManifest(file!), { kind: "logical", database: "spendgate" });
  const client = new pg.Client({ connectionString: cluster.url("spendgate") });
  await client.connect();
  t.teardown(() => client.end());
  const { rows } = await client.query("select count(*)::int as failed from graphile_worker.jobs where last_error is not null");
  t.is(rows[0].failed, 0);
});
