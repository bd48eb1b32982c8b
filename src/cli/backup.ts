// npm run db:backup: a backup of the database to BACKUP_DIR (pg_dump custom format for
// DATABASE_URL, a base backup of the embedded cluster otherwise) with its manifest, then
// retention (BACKUP_RETENTION_DAYS, BACKUP_KEEP). Prints the file; `npm run db:restore -- FILE`
// restores it.
import { takeBackup } from "../backup/take.ts";
import { withDatabase } from "./withDatabase.ts";

await withDatabase(
  async ({ config, database }) => {
    const { manifest, path, pruned } = await takeBackup(database, config.backup, config.database.embeddedDir);
    console.log(`backup       ${path}`);
    console.log(`             ${manifest.kind}, ${manifest.sizeBytes} bytes, schema ${manifest.schemaVersion ?? "(empty)"}, sha256 ${manifest.sha256}`);
    for (const file of pruned) console.log(`deleted      ${file} (older than ${config.backup.retentionDays} days)`);
  },
  { sections: ["backup"], migrate: false },
).catch((error: Error) => {
  console.error(`spendgate: backup failed: ${error.message}`);
  process.exit(1);
});
