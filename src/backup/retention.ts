// Retention (seed: 30 days): a backup older than BACKUP_RETENTION_DAYS is deleted, with its
// manifest, unless it is one of the newest BACKUP_KEEP, so that a deployment that stopped backing
// up long ago still keeps its last good backups. Only files with a manifest are considered.
import fs from "node:fs/promises";
import path from "node:path";
import type { BackupManifest } from "./manifest.ts";

export async function listBackups(dir: string): Promise<BackupManifest[]> {
  const names = await fs.readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [] as string[];
    throw error;
  });
  const manifests: BackupManifest[] = [];
  for (const name of names.filter((n) => n.startsWith("spendgate-") && n.endsWith(".json"))) {
    try {
      manifests.push(JSON.parse(await fs.readFile(path.join(dir, name), "utf8")) as BackupManifest);
    } catch {
      // a manifest being written, or not ours: left alone
    }
  }
  return manifests.sort((a, b) => b.createdAt.localeCompare(a.createdAt)); // newest first
}

/** Deletes what retention no longer keeps; returns the backup files deleted. */
export async function pruneBackups(dir: string, policy: { retentionDays: number; keep: number }, now: Date): Promise<string[]> {
  const cutoff = now.getTime() - policy.retentionDays * 24 * 3600 * 1000;
  const expired = (await listBackups(dir)).slice(policy.keep).filter((backup) => Date.parse(backup.createdAt) < cutoff);
  for (const backup of expired) {
    await fs.rm(path.join(dir, backup.file), { force: true });
    await fs.rm(path.join(dir, `${backup.file}.json`), { force: true });
  }
  return expired.map((backup) => backup.file);
}
