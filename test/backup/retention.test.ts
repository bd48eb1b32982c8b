// Retention of BACKUP_DIR: backups older than BACKUP_RETENTION_DAYS go, with their manifests,
// except the newest BACKUP_KEEP; files without a manifest are never touched.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { backupName, writeManifest } from "../../src/backup/manifest.ts";
import { pruneBackups } from "../../src/backup/retention.ts";

const DAY = 24 * 3600 * 1000;

async function backupAt(dir: string, createdAt: Date): Promise<string> {
  const file = path.join(dir, `${backupName("spendgate", createdAt)}.dump`);
  await fs.writeFile(file, createdAt.toISOString());
  await writeManifest(file, { kind: "logical", database: "spendgate", createdAt: createdAt.toISOString(), schemaVersion: undefined, serverVersion: "15" });
  return path.basename(file);
}

test("backups older than the retention period are deleted with their manifests, the newest N always kept", async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-retention-"));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const now = new Date("2026-11-30T03:00:00Z");
  const names = [];
  for (const daysAgo of [0, 1, 29, 31, 45]) names.push(await backupAt(dir, new Date(now.getTime() - daysAgo * DAY)));
  await fs.writeFile(path.join(dir, "notes.txt"), "not a backup");

  t.deepEqual(await pruneBackups(dir, { retentionDays: 30, keep: 2 }, now), [names[3], names[4]]);
  t.deepEqual((await fs.readdir(dir)).sort(), [...names.slice(0, 3).flatMap((name) => [name, `${name}.json`]), "notes.txt"].sort());

  // Long without a backup: the newest are kept even though they are all old.
  t.deepEqual(await pruneBackups(dir, { retentionDays: 30, keep: 2 }, new Date(now.getTime() + 90 * DAY)), [names[2]]);
});

test("backup names sort by time and say which database", (t) => {
  t.is(backupName("spendgate", new Date("2026-11-30T01:02:03.456Z")), "spendgate-spendgate-20261130T010203.456Z");
});
