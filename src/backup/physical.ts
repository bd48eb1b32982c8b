// Backups of the embedded PostgreSQL (no DATABASE_URL). Its package ships the server but no
// pg_dump, and no packaged pg_dump of its major version may exist on the machine: so the embedded
// cluster is backed up the way pg_basebackup does it, with the server's own online base-backup
// functions: pg_backup_start(), a tar of the data directory, pg_backup_stop(), whose backup_label
// goes into the tar with the WAL written meanwhile. Restored, the server replays that WAL on
// start and comes up consistent as of the end of the backup. The generated credentials go along,
// since the restored cluster knows its roles by those passwords.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { isServerRunning, postgresUserIds } from "../database/embedded.ts";
import { assertNewBackupPath, backupName, schemaVersion, writeManifest, type BackupManifest } from "./manifest.ts";

const run = promisify(execFile);
const CREDENTIALS_ENTRY = "spendgate-credentials.json";

/** What pg_basebackup leaves out: files the server rebuilds, and its own lock and options files. */
const EXCLUDED = [
  "./postmaster.pid",
  "./postmaster.opts",
  "./server.log",
  "./pg_wal/*",
  "./pg_replslot/*",
  "./pg_dynshmem/*",
  "./pg_notify/*",
  "./pg_serial/*",
  "./pg_snapshots/*",
  "./pg_stat_tmp/*",
  "./pg_subtrans/*",
  "*/pgsql_tmp*",
  "*/pg_internal.init",
];

export interface ClusterLocation {
  dataDir: string;
  /** As the cluster's superuser. */
  superuserUrl: string;
  /** The application database, for its schema version. */
  databaseUrl: string;
}

export async function backupCluster(cluster: ClusterLocation, dir: string, now = new Date()): Promise<BackupManifest> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const database = decodeURIComponent(new URL(cluster.databaseUrl).pathname.slice(1));
  const name = backupName(database, now);
  const file = path.join(dir, `${name}.tar.gz`);
  const partial = `${file}.partial`;
  await assertNewBackupPath(file);
  const appClient = new pg.Client({ connectionString: cluster.databaseUrl });
  await appClient.connect();
  const version = await schemaVersion(appClient).finally(() => appClient.end());

  const client = new pg.Client({ connectionString: cluster.superuserUrl });
  await client.connect();
  const staging = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-backup-"));
  try {
    const serverVersion = (await client.query<{ server_version: string }>("show server_version")).rows[0]!.server_version;
    await client.query("select pg_backup_start($1, true)", [name]); // fast: an immediate checkpoint
    // Files change while the server runs (exit 1, "file changed as we read it"): replaying the
    // WAL of the backup's interval repairs exactly that.
    await tar(["-cf", partial, "-C", cluster.dataDir, ...EXCLUDED.flatMap((pattern) => ["--exclude", pattern]), "--warning=no-file-changed", "--warning=no-file-removed", "."], [0, 1]);
    const stop = (
      await client.query<{ labelfile: string; spcmapfile: string; stop_wal: string }>(
        "select labelfile, spcmapfile, pg_walfile_name(lsn) as stop_wal from pg_backup_stop(false)",
      )
    ).rows[0]!;
    const startWal = /START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)/.exec(stop.labelfile)![1]!;
    const segments = (await fs.readdir(path.join(cluster.dataDir, "pg_wal")))
      .filter((segment) => /^[0-9A-F]{24}$/.test(segment) && segment >= startWal && segment <= stop.stop_wal)
      .map((segment) => `pg_wal/${segment}`);
    await fs.writeFile(path.join(staging, "backup_label"), stop.labelfile);
    if (stop.spcmapfile) await fs.writeFile(path.join(staging, "tablespace_map"), stop.spcmapfile);
    await fs.copyFile(`${cluster.dataDir}.credentials.json`, path.join(staging, CREDENTIALS_ENTRY));
    await tar(["-rf", partial, "-C", cluster.dataDir, ...segments]);
    await tar(["-rf", partial, "-C", staging, ...(await fs.readdir(staging))]);
    await run("gzip", ["-6", "--suffix=.gz", partial]); // tar cannot append to a compressed archive: compressed last
    await fs.chmod(`${partial}.gz`, 0o600);
    await fs.rename(`${partial}.gz`, file);
    return await writeManifest(file, { kind: "physical", database, createdAt: now.toISOString(), schemaVersion: version, serverVersion });
  } catch (error) {
    await client.query("select pg_backup_stop(false)").catch(() => undefined); // ends the backup mode if still on
    await fs.rm(partial, { force: true });
    await fs.rm(`${partial}.gz`, { force: true });
    throw error;
  } finally {
    await client.end();
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * Restores a cluster backup into `dataDir`, which must not be in use. With `replace`, an existing
 * data directory (and its credentials) is kept, renamed; its new name is returned.
 */
export async function restoreCluster(file: string, dataDir: string, options: { replace: boolean; now?: Date }): Promise<{ replaced: string | undefined }> {
  if (await isServerRunning(dataDir)) {
    throw new Error(`the embedded PostgreSQL in ${dataDir} is running: stop every spendgate process using it (npm start, the worker) first`);
  }
  const exists = await fs.access(path.join(dataDir, "PG_VERSION")).then(() => true, () => false);
  if (exists && !options.replace) throw new Error(`${dataDir} holds a database: confirm replacing it (see --replace-database)`);
  const stamp = (options.now ?? new Date()).toISOString().replace(/\D/g, "").slice(0, 14);
  const staging = `${dataDir}.restoring-${stamp}`;
  await fs.mkdir(staging, { recursive: true, mode: 0o700 });
  try {
    await tar(["-xzf", file, "-C", staging]);
    const credentials = await fs.readFile(path.join(staging, CREDENTIALS_ENTRY));
    await fs.rm(path.join(staging, CREDENTIALS_ENTRY));
    if (process.getuid?.() === 0) {
      const { uid, gid } = await postgresUserIds();
      await run("chown", ["-R", `${uid}:${gid}`, staging]);
    }
    let replaced: string | undefined;
    if (await fs.access(dataDir).then(() => true, () => false)) {
      replaced = `${dataDir}.replaced-${stamp}`;
      await fs.rename(dataDir, replaced);
      await fs.rename(`${dataDir}.credentials.json`, `${replaced}.credentials.json`).catch(() => undefined);
    }
    await fs.rename(staging, dataDir);
    await fs.writeFile(`${dataDir}.credentials.json`, credentials, { mode: 0o600 });
    return { replaced };
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

async function tar(args: string[], okCodes = [0]): Promise<void> {
  try {
    await run("tar", args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { code, stderr } = error as { code?: number; stderr?: string };
    if (typeof code === "number" && okCodes.includes(code)) return;
    throw new Error(`tar ${args[0]} failed: ${(stderr ?? (error as Error).message).trim()}`);
  }
}
