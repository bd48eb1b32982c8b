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
// A destructive migration (its SQL drops a table, column, type or schema, truncates, or changes a
// column's type, which rewrites the table) needs more: CONFIRM_DESTRUCTIVE_MIGRATION naming it
// (comma-separated names), so that a confirmation given for one is not reused for the next.
// Rolling back is destructive too: a down drops what its up created.
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

const DESTRUCTIVE = [
  ["drops a table", /\bdrop\s+table\b/i],
  ["drops a column", /\bdrop\s+column\b/i],
  ["drops a column", /\balter\s+table\b[^;]*?\bdrop\s+(?!constraint\b|default\b|not\s+null\b|identity\b|expression\b|column\b)(?:if\s+exists\s+)?"?\w/i],
  ["drops a type", /\bdrop\s+type\b/i],
  ["drops a schema", /\bdrop\s+schema\b/i],
  ["truncates a table", /\btruncate\b/i],
  ["changes a column's type (rewrites the table)", /\balter\s+column\s+(?:"[^"]+"|\w+)\s+(?:set\s+data\s+)?type\b/i],
];

/** What makes this SQL destructive (comments ignored); empty when nothing does. */
function destructiveChanges(sql) {
  const code = sql.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");
  return [...new Set(DESTRUCTIVE.filter(([, pattern]) => pattern.test(code)).map(([what]) => what))];
}

function assertDestructiveConfirmed(name, direction, sql, env = process.env) {
  if (env.NODE_ENV !== "production") return;
  const changes = destructiveChanges(sql);
  if (changes.length === 0) return;
  const confirmed = (env.CONFIRM_DESTRUCTIVE_MIGRATION ?? "").split(",").map((item) => item.trim());
  if (confirmed.includes(name)) return;
  throw new Error(
    `refusing to run migration ${name} (${direction}) against a production database: it ${changes.join(", ")}; ` +
      `take a backup, then set CONFIRM_DESTRUCTIVE_MIGRATION=${name} to confirm`,
  );
}

module.exports = function sqlMigration(wrapperFile) {
  const name = path.basename(wrapperFile, ".js");
  const run = (direction) => (db) => {
    assertConfirmedInProduction(`run migration ${name} (${direction})`);
    const sql = fs.readFileSync(path.join(__dirname, "sqls", `${name}-${direction}.sql`), "utf8");
    assertDestructiveConfirmed(name, direction, sql);
    return db.runSql(sql);
  };
  return { up: run("up"), down: run("down"), _meta: { version: 1 } };
};
module.exports.assertConfirmedInProduction = assertConfirmedInProduction;
module.exports.assertDestructiveConfirmed = assertDestructiveConfirmed;
module.exports.destructiveChanges = destructiveChanges;
