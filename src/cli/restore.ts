// npm run db:restore -- FILE [--into NAME] [--replace-database NAME]
// Checks FILE against its manifest (SHA-256) and refuses a backup newer than this code's
// migrations, then restores:
// - a logical backup (DATABASE_URL) into a new database on the same server (NAME, or
//   <database>_restored_<time>); with --replace-database naming the configured database, over it
//   (the old one is kept, renamed);
// - a backup of the embedded cluster into EMBEDDED_PG_DIR when it holds no database; with
//   --replace-database spendgate, over it (the old directory is kept, renamed). Stop spendgate first.
// Then `npm run db:migrate` brings an older schema up to date.
import { parseArgs } from "node:util";
import { databaseOf, restoreDatabase, urlFor } from "../backup/logical.ts";
import { assertKnownSchema, readVerifiedManifest } from "../backup/manifest.ts";
import { restoreCluster } from "../backup/physical.ts";
import { EMBEDDED_DATABASE_NAME } from "../database/connect.ts";
import { migrationNames } from "../database/migrate.ts";
import { exitWith, loadConfigOrExit } from "../startup.ts";

const config = loadConfigOrExit(["database", "backup"]);
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { into: { type: "string" }, "replace-database": { type: "string" } },
});
const file = positionals[0];
if (!file || positionals.length > 1) exitWith("usage: npm run db:restore -- FILE [--into NAME] [--replace-database NAME]", 2);

try {
  const manifest = await readVerifiedManifest(file);
  const known = migrationNames().map((name) => name.slice(1));
  assertKnownSchema(manifest, known);
  console.log(`verified     ${file} (sha256 ${manifest.sha256}, schema ${manifest.schemaVersion ?? "(empty)"}, taken ${manifest.createdAt})`);
  const configured = config.database.url ? databaseOf(config.database.url) : EMBEDDED_DATABASE_NAME;
  const replace = values["replace-database"];
  if (replace !== undefined && replace !== configured) {
    throw new Error(`--replace-database ${replace} does not name the configured database (${configured}): nothing was changed`);
  }
  if (manifest.kind === "physical") {
    if (config.database.url) throw new Error("this is a backup of the embedded PostgreSQL: restore it without DATABASE_URL");
    const { replaced } = await restoreCluster(file, config.database.embeddedDir, { replace: replace !== undefined });
    console.log(`restored     the embedded PostgreSQL in ${config.database.embeddedDir}`);
    if (replaced) console.log(`kept         the previous one as ${replaced}`);
  } else {
    if (!config.database.url) throw new Error("this is a pg_dump backup: set DATABASE_URL to the server to restore it on");
    const target = replace ?? values.into ?? `${configured}_restored_${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}`;
    const { replaced } = await restoreDatabase(file, urlFor(config.database.url, "postgres"), target, { replace: replace !== undefined, pgBinDir: config.backup.pgBinDir });
    console.log(`restored     into database ${target}`);
    if (replaced) console.log(`kept         the previous one as database ${replaced}`);
  }
  if (manifest.schemaVersion !== known.at(-1)) console.log("next         npm run db:migrate (the backup's schema is older than this code's)");
} catch (error) {
  exitWith(`restore failed: ${(error as Error).message}`);
}
