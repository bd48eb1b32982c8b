// npm run db:migrate            apply pending migrations
// npm run db:rollback           roll back the most recent migration
// npm run db:new -- NAME        create migrations/<timestamp>-NAME.js and its up/down SQL files
// Against DATABASE_URL, or the embedded PostgreSQL when it is not set (as `npm start` does).
// In production (NODE_ENV=production) migrations refuse to run without
// CONFIRM_PRODUCTION_MIGRATION=true (migrations/sql-migration.cjs).
import fs from "node:fs/promises";
import path from "node:path";
import { MIGRATIONS_DIR, runMigrations, type MigrationCommand } from "../database/migrate.ts";
import { withDatabase } from "./withDatabase.ts";

const [command, name] = process.argv.slice(2);

async function createMigration(migrationName: string | undefined): Promise<void> {
  if (!migrationName || !/^[a-z0-9][a-z0-9-]*$/.test(migrationName)) {
    throw new Error("usage: npm run db:new -- NAME (lowercase letters, digits and dashes, e.g. add-budget-alerts)");
  }
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const base = `${stamp}-${migrationName}`;
  await fs.writeFile(path.join(MIGRATIONS_DIR, `${base}.js`), 'module.exports = require("./sql-migration.cjs")(__filename);\n');
  await fs.writeFile(path.join(MIGRATIONS_DIR, "sqls", `${base}-up.sql`), `-- Why: <what this migration changes and why>\n\n`);
  await fs.writeFile(path.join(MIGRATIONS_DIR, "sqls", `${base}-down.sql`), `-- Undo exactly what ${base}-up.sql did.\n\n`);
  console.log(`created migrations/${base}.js, migrations/sqls/${base}-up.sql and -down.sql`);
}

async function run(direction: MigrationCommand): Promise<void> {
  await withDatabase(
    async ({ database }) => {
      if (direction !== "up") await runMigrations(database.ownerUrl, direction);
      console.log(direction === "up" ? "migrations applied" : "rolled back the most recent migration");
    },
    { migrate: direction === "up" },
  );
}

try {
  if (command === "new") await createMigration(name);
  else if (command === "up" || command === "down") await run(command);
  else throw new Error("usage: node src/cli/migrate.ts up|down|new NAME");
} catch (error) {
  console.error(`spendgate: ${(error as Error).message}`);
  process.exit(1);
}
