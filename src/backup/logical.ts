// Logical backups of a database on a PostgreSQL server (DATABASE_URL): pg_dump's custom format,
// which pg_dump takes inside one repeatable-read snapshot (consistent while traffic goes on), and
// pg_restore, into a new database in one transaction (a failed restore leaves nothing behind).
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { assertNewBackupPath, backupName, schemaVersion, writeManifest, type BackupManifest } from "./manifest.ts";
import { findProgram, runProgram, serverMajor } from "./programs.ts";

export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** The same server and credentials, another database. */
export function urlFor(url: string, database: string): string {
  const other = new URL(url);
  other.pathname = `/${encodeURIComponent(database)}`;
  return other.toString();
}

export async function backupDatabase(url: string, dir: string, pgBinDir: string | undefined, now = new Date()): Promise<BackupManifest> {
  const pgDump = await findProgram("pg_dump", await serverMajor(url), pgBinDir);
  const database = databaseOf(url);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${backupName(database, now)}.dump`);
  await assertNewBackupPath(file);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let version: string | undefined;
  let serverVersion: string;
  try {
    version = await schemaVersion(client);
    serverVersion = (await client.query<{ server_version: string }>("show server_version")).rows[0]!.server_version;
  } finally {
    await client.end();
  }
  // Written under a temporary name: a backup that failed half-way never looks like a backup.
  const partial = `${file}.partial`;
  try {
    await runProgram(pgDump, url, ["--format=custom", "--compress=6", `--file=${partial}`]);
    await fs.chmod(partial, 0o600);
    await fs.rename(partial, file);
  } catch (error) {
    await fs.rm(partial, { force: true });
    throw error;
  }
  return writeManifest(file, { kind: "logical", database, createdAt: now.toISOString(), schemaVersion: version, serverVersion });
}

/**
 * Restores into `target`, a database that must not exist yet (created here, owned by the
 * connecting role). With `replace`, `target` may exist: the backup is restored beside it first,
 * and only then are the two swapped (its sessions ended); the old one is kept, renamed, and its
 * new name returned.
 */
export async function restoreDatabase(
  file: string,
  serverUrl: string,
  target: string,
  options: { replace: boolean; pgBinDir: string | undefined; now?: Date },
): Promise<{ database: string; replaced: string | undefined }> {
  const pgRestore = await findProgram("pg_restore", await serverMajor(serverUrl), options.pgBinDir);
  const stamp = (options.now ?? new Date()).toISOString().replace(/\D/g, "").slice(0, 14);
  const staging = options.replace ? `${target}_restoring_${stamp}` : target;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const id = (name: string) => admin.escapeIdentifier(name);
  try {
    const exists = async (name: string) => ((await admin.query("select 1 from pg_database where datname = $1", [name])).rowCount ?? 0) > 0;
    if (await exists(staging)) throw new Error(`database ${staging} already exists: name another one (--into NAME)`);
    await admin.query(`create database ${id(staging)}`);
    try {
      await runProgram(pgRestore, urlFor(serverUrl, staging), ["--exit-on-error", "--single-transaction", file]);
    } catch (error) {
      await admin.query(`drop database if exists ${id(staging)}`);
      throw error;
    }
    if (!options.replace) return { database: target, replaced: undefined };
    let replaced: string | undefined;
    if (await exists(target)) {
      replaced = `${target}_replaced_${stamp}`;
      await admin.query(`alter database ${id(target)} allow_connections false`);
      await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [target]);
      await admin.query(`alter database ${id(target)} rename to ${id(replaced)}`);
      await admin.query(`alter database ${id(replaced)} allow_connections true`);
    }
    await admin.query(`alter database ${id(staging)} rename to ${id(target)}`);
    return { database: target, replaced };
  } finally {
    await admin.end();
  }
}
