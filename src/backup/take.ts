// One backup of the deployment's database, of the kind it allows (a logical pg_dump of the
// database behind DATABASE_URL, a base backup of the embedded cluster), then retention.
// Used by `npm run db:backup`, the daily worker job and the backup taken before migrating.
import type { BackupConfig } from "../config.ts";
import type { DatabaseTarget } from "../database/connect.ts";
import { backupDatabase } from "./logical.ts";
import type { BackupManifest } from "./manifest.ts";
import { backupCluster } from "./physical.ts";
import { pruneBackups } from "./retention.ts";

export interface TakenBackup {
  manifest: BackupManifest;
  path: string;
  pruned: string[];
}

export async function takeBackup(database: DatabaseTarget, config: BackupConfig, embeddedDir: string, now = new Date()): Promise<TakenBackup> {
  const manifest = database.embedded
    ? await backupCluster({ dataDir: embeddedDir, superuserUrl: database.embedded.url("postgres"), databaseUrl: database.ownerUrl }, config.dir, now)
    : await backupDatabase(database.ownerUrl, config.dir, config.pgBinDir, now);
  const pruned = await pruneBackups(config.dir, config, now);
  return { manifest, path: `${config.dir}/${manifest.file}`, pruned };
}
