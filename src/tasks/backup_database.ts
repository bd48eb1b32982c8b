// Task `backup_database` (crontab: src/worker/crontab.ts, daily): when BACKUP_DAILY=true, the
// same backup as `npm run db:backup` (then retention) of the database this worker serves. Reads
// the database and backup settings itself, since a task is given only its payload. Safe to retry:
// each run writes a new, complete backup or nothing (a failed one leaves no file behind).
import type { Task } from "graphile-worker";
import { takeBackup } from "../backup/take.ts";
import { loadConfigSections } from "../config.ts";
import { openDatabase } from "../database/connect.ts";
import { createLogger } from "../logger.ts";

const backupDatabase: Task = async (_payload, helpers) => {
  const config = loadConfigSections(["database", "backup"]);
  if (!config.backup.daily) {
    helpers.logger.info("backup_database: BACKUP_DAILY is not true, nothing to do");
    return;
  }
  // With DATABASE_URL this only checks the server answers; embedded, it joins the running server.
  const database = await openDatabase(config.database, createLogger(config.logLevel === "info" ? "warn" : config.logLevel));
  try {
    const { path, manifest, pruned } = await takeBackup(database, config.backup, config.database.embeddedDir);
    helpers.logger.info(`backup_database: ${path} (${manifest.sizeBytes} bytes, schema ${manifest.schemaVersion ?? "(empty)"}); ${pruned.length} expired deleted`, {
      path,
      sha256: manifest.sha256,
      pruned,
    });
  } finally {
    await database.embedded?.release();
  }
};

export default backupDatabase;
