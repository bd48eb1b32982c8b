// Every backup is two files in BACKUP_DIR: the backup itself and `<name>.json`, its manifest
// (what it holds, from which schema version, its size and SHA-256). A restore reads the manifest
// first and refuses a file whose checksum differs, or whose schema version this code does not know.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";

export interface BackupManifest {
  /** File name of the backup, next to this manifest. */
  file: string;
  /** logical: pg_dump custom format of one database; physical: a base backup of the embedded cluster (tar). */
  kind: "logical" | "physical";
  database: string;
  createdAt: string;
  /** The newest migration applied when the backup was taken (undefined: never migrated). */
  schemaVersion: string | undefined;
  serverVersion: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * `spendgate-<database>-<UTC time to the millisecond>`: sorts by time, says what it is, and two
 * backups in a row (the one before a failed migration, then the retry's) get different names.
 */
export function backupName(database: string, now: Date): string {
  return `spendgate-${database}-${now.toISOString().replace(/[-:]/g, "")}`;
}

/** Refuses to overwrite an existing backup (two backups within the same millisecond). */
export async function assertNewBackupPath(file: string): Promise<void> {
  const exists = await fs.access(file).then(() => true, () => false);
  if (exists) throw new Error(`${file} already exists: a backup was taken this very millisecond; try again`);
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest("hex");
}

/** Checksums the finished backup file and writes its manifest next to it; returns the manifest. */
export async function writeManifest(backupFile: string, fields: Omit<BackupManifest, "file" | "sizeBytes" | "sha256">): Promise<BackupManifest> {
  const manifest: BackupManifest = {
    file: path.basename(backupFile),
    ...fields,
    sizeBytes: (await fs.stat(backupFile)).size,
    sha256: await sha256Of(backupFile),
  };
  await fs.writeFile(manifestPath(backupFile), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

export const manifestPath = (backupFile: string) => `${backupFile}.json`;

/** The manifest of a backup file, after checking the file against it. */
export async function readVerifiedManifest(backupFile: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await fs.readFile(manifestPath(backupFile), "utf8")) as BackupManifest;
  } catch (error) {
    throw new Error(`cannot read the manifest ${manifestPath(backupFile)} of this backup: ${(error as Error).message}`);
  }
  const actual = await sha256Of(backupFile);
  if (actual !== manifest.sha256) {
    throw new Error(`${backupFile} is damaged: its SHA-256 is ${actual}, its manifest says ${manifest.sha256}`);
  }
  return manifest;
}

/** Refuses a backup taken from a schema newer than this code's migrations (restore the matching release first). */
export function assertKnownSchema(manifest: BackupManifest, knownMigrations: string[]): void {
  if (manifest.schemaVersion === undefined || knownMigrations.includes(manifest.schemaVersion)) return;
  throw new Error(
    `${manifest.file} was taken at schema version ${manifest.schemaVersion}, which this code's migrations do not include: ` +
      "it is newer than this release; restore it with the release that made it",
  );
}

/** The newest migration applied to the database, as db-migrate records it (without its leading "/"). */
export async function schemaVersion(client: pg.Client): Promise<string | undefined> {
  try {
    const { rows } = await client.query<{ name: string }>("select name from public.migrations order by run_on desc, name desc limit 1");
    return rows[0]?.name.replace(/^\//, "");
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return undefined; // never migrated
    throw error;
  }
}
