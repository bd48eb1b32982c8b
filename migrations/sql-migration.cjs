// Shared loader for our hand-written SQL migrations.
//
// db-migrate only picks up `*.js` files in this folder; each one is a one-line wrapper
// (`module.exports = require("./sql-migration.cjs")(__filename)`) so that the real content of a
// migration is the pair of plain SQL files in `sqls/`: `<name>-up.sql` and `<name>-down.sql`.
// This file is `.cjs`, so db-migrate does not mistake it for a migration.
//
// Seed 002 REQ-007: migrations refuse to touch a production database unless the operator
// confirms with CONFIRM_PRODUCTION_MIGRATION=true. The check lives here, the one place every
// path (npm scripts, `npm start`, the raw db-migrate CLI) goes through; the runner
// (src/database/migrate.ts) asks the same before it applies or drops the definitions of sql/.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/** `action` completes "refusing to ...", e.g. "run migration <name> (up)". */
function assertConfirmedInProduction(action) {
  if (process.env.NODE_ENV !== "production") return;
  if (process.env.CONFIRM_PRODUCTION_MIGRATION === "true") return;
  throw new Error(
    `refusing to ${action} against a production database (NODE_ENV=production): ` +
      "set CONFIRM_PRODUCTION_MIGRATION=true to confirm",
  );
}

module.exports = function sqlMigration(wrapperFile) {
  const name = path.basename(wrapperFile, ".js");
  const run = (direction) => (db) => {
    assertConfirmedInProduction(`run migration ${name} (${direction})`);
    const sql = fs.readFileSync(path.join(__dirname, "sqls", `${name}-${direction}.sql`), "utf8");
    return db.runSql(sql);
  };
  return { up: run("up"), down: run("down"), _meta: { version: 1 } };
};
module.exports.assertConfirmedInProduction = assertConfirmedInProduction;
