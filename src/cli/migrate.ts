// npm run db:migrate            apply pending migrations and changed definition files of sql/
// npm run db:rollback           roll back the most recent migration (and the sql/ files placed after it)
// npm run db:new -- NAME        create migrations/<timestamp>-NAME.js and its up/down SQL files
// Against DATABASE_URL, or the embedded PostgreSQL when it is not set (as `npm start` does).
// Each prints what it did, one line per migration or file. In production (NODE_ENV=production)
// migrations refuse to run without CONFIRM_PRODUCTION_MIGRATION=true, a destructive one without
// CONFIRM_DESTRUCTIVE_MIGRATION naming it (migrations/sql-migration.cjs), and a backup is taken
// first (BACKUP_BEFORE_MIGRATE).
import { createMigration } from "../database/newMigration.ts";
import { describeEvent, MIGRATIONS_DIR, type MigrationEvent } from "../database/migrate.ts";
import { migrate, prepareDatabase } from "../database/prepare.ts";
import { withDatabase } from "./withDatabase.ts";

const [command, name] = process.argv.slice(2);
const print = (event: MigrationEvent) => console.log(describeEvent(event));

async function run(direction: "up" | "down"): Promise<void> {
  await withDatabase(
    async ({ config, database, log }) => {
      const options = { onEvent: print, onBackup: (path: string) => console.log(`backup       ${path}`) };
      const events = direction === "up" ? await prepareDatabase(database, config, log, options) : await migrate(database, "down", config, log, options);
      if (events.length === 0) console.log(direction === "up" ? "nothing to apply: the database is current" : "nothing to roll back");
    },
    { migrate: false },
  );
}

try {
  if (command === "new") {
    for (const file of await createMigration(name, MIGRATIONS_DIR)) console.log(`created ${file}`);
  } else if (command === "up" || command === "down") await run(command);
  else throw new Error("usage: node src/cli/migrate.ts up|down|new NAME");
} catch (error) {
  console.error(`spendgate: ${(error as Error).message}`);
  process.exit(1);
}
