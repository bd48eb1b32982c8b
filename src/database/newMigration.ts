// `npm run db:new -- NAME`: writes a new migration (the one-line db-migrate wrapper and its up and
// down SQL files), with stubs that remind of the layout rule: tables, types, constraints, indexes,
// policies and grants go in the migration; functions, views and triggers go in sql/.
import fs from "node:fs/promises";
import path from "node:path";

export async function createMigration(name: string | undefined, migrationsDir: string, now = new Date()): Promise<string[]> {
  if (!name || !/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error("usage: npm run db:new -- NAME (lowercase letters, digits and dashes, e.g. add-budget-alerts)");
  }
  const stamp = now.toISOString().replace(/\D/g, "").slice(0, 14);
  const base = `${stamp}-${name}`;
  const files = {
    [`${base}.js`]: 'module.exports = require("./sql-migration.cjs")(__filename);\n',
    [path.join("sqls", `${base}-up.sql`)]: upStub(base),
    [path.join("sqls", `${base}-down.sql`)]: downStub(base),
  };
  for (const [file, content] of Object.entries(files)) {
    // `wx`: never overwrite an existing migration.
    await fs.writeFile(path.join(migrationsDir, file), content, { flag: "wx" });
  }
  return Object.keys(files).map((file) => path.join(path.basename(migrationsDir), file));
}

const upStub = (base: string) => `-- Why: <what this migration changes and why>
--
-- A migration holds the data shape and access: tables, columns, constraints, defaults, types,
-- indexes, row-level security and its policies, grants, comments on tables and columns
-- (CONVENTIONS.md). Functions, views and triggers do NOT go here: write them with
-- \`create or replace\` in a file of sql/ whose header says \`-- after: ${base}\`
-- (a new table's _100_timestamps and _200_soft_delete_guard triggers included).

`;

const downStub = (base: string) => `-- Undo exactly what ${base}-up.sql did, in reverse order, without cascade.
-- The functions, views and triggers of the sql/ files placed after this migration are dropped by
-- the migration runner before this runs: do not drop them here.

`;
