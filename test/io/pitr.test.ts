// Point-in-time recovery of a PostgreSQL server deployment (seed: RPO < 15 minutes), the recipe
// of docs/point-in-time-recovery.md on the machine's PostgreSQL 15: continuous WAL archiving, a
// base backup with pg_basebackup, two writes, and a restore to the moment between them, which
// brings back the first write and not the second.
import fs from "node:fs/promises";
import path from "node:path";
import test from "ava";
import pg from "pg";
import { createTestCluster, type TestCluster } from "../helpers/pgCluster.ts";

let cluster: TestCluster;
test.before(async () => {
  cluster = await createTestCluster((root) => ({
    wal_level: "replica",
    archive_mode: "on",
    // The recipe's archive_command: never overwrite an archived segment.
    archive_command: `'test ! -f ${root}/archive/%f && cp %p ${root}/archive/%f'`,
    archive_timeout: "300",
  }));
  await fs.mkdir(path.join(cluster.root, "archive"), { mode: 0o777 });
  await fs.chmod(path.join(cluster.root, "archive"), 0o777);
});
test.after.always(() => cluster?.destroy());

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Polls back to back until the server leaves recovery; a server that stopped instead fails with its log. */
async function waitUntilPromoted(url: string, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if (!(await withClient(url, async (client) => (await client.query("select pg_is_in_recovery() as r")).rows[0].r))) return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== "57P03") throw new Error(`the restored server is gone (${(error as Error).message}):\n${await fs.readFile(logFile, "utf8")}`);
    }
  }
  throw new Error(`not promoted within 60 s:\n${await fs.readFile(logFile, "utf8")}`);
}

test.serial("restored to a moment between two writes, the server has the first and not the second", async (t) => {
  const base = path.join(cluster.root, "base");
  await cluster.program("pg_basebackup", ["--pgdata", base, "--wal-method=stream", "--checkpoint=fast", "--dbname", cluster.url()]);

  const target = await withClient(cluster.url(), async (client) => {
    await client.query("create table ledger (entry text)");
    await client.query("insert into ledger values ('before the target')");
    const { rows } = await client.query<{ at: string }>("select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' as at");
    await client.query("insert into ledger values ('after the target')");
    // Archive the segment holding both writes, and wait until the archiver reports it.
    const { rows: switched } = await client.query<{ wal: string }>("select pg_walfile_name(pg_switch_wal()) as wal");
    for (;;) {
      const { rows: archived } = await client.query<{ last: string | null; failed: string | null }>(
        "select last_archived_wal as last, last_failed_wal as failed from pg_stat_archiver",
      );
      if (archived[0]!.last && archived[0]!.last >= switched[0]!.wal) break;
      if (archived[0]!.failed) throw new Error(`archiving failed for ${archived[0]!.failed}`);
    }
    return rows[0]!.at;
  });
  await cluster.stop(); // the server is lost

  await fs.writeFile(path.join(base, "recovery.signal"), "");
  await fs.appendFile(
    path.join(base, "postgresql.auto.conf"),
    [
      `restore_command = 'cp ${cluster.root}/archive/%f %p'`,
      `recovery_target_time = '${target}'`,
      "recovery_target_action = 'promote'",
      "",
    ].join("\n"),
  );
  await fs.rm(path.join(base, "server.log")); // the old server's, copied by pg_basebackup
  // pg_ctl start -w returns once connections are accepted, which is while recovery still runs:
  // the restore is done when the server has been promoted.
  await cluster.start(base);
  await waitUntilPromoted(cluster.url(), path.join(base, "server.log"));
  const log = await fs.readFile(path.join(base, "server.log"), "utf8");
  t.regex(log, /recovery stopping before commit of transaction \d+, time /, log);
  const state = await withClient(cluster.url(), async (client) => ({
    entries: (await client.query("select entry from ledger")).rows.map((row) => row.entry),
    inRecovery: (await client.query("select pg_is_in_recovery() as r")).rows[0].r,
  }));
  t.deepEqual(state, { entries: ["before the target"], inRecovery: false });
});
