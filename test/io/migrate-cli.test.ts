// `npm run db:migrate` as a deploy pipeline runs it: NODE_ENV=production, only the database
// settings (no JWT_SECRET, no Redis), and the production guard still asking for confirmation.
// And as a DBA reads it: db:migrate and db:rollback print each migration and definition file of
// sql/ they applied or undid. (The backup production takes before migrating is left out here,
// BACKUP_BEFORE_MIGRATE=false: test/io/backup-restore-pg15.test.ts covers it.)
import path from "node:path";
import test from "ava";
import pg from "pg";
import fs from "node:fs";
import { DEFINITIONS_DIR, migrationNames, pendingChanges } from "../../src/database/migrate.ts";
import { PROJECT_ROOT } from "../../src/projectRoot.ts";
import { databaseUrl, withServerClient } from "../helpers/database.ts";
import { spawnNode } from "../helpers/process.ts";

const MIGRATE = path.join(PROJECT_ROOT, "src/cli/migrate.ts");
const name = `spendgate_migrate_cli_${process.pid}`;
const url = databaseUrl(name);

test.before(() => withServerClient((client) => client.query(`create database ${name}`)));
test.after.always(() => withServerClient((client) => client.query(`drop database if exists ${name} with (force)`)));

const definitionFiles = fs.readdirSync(DEFINITIONS_DIR).filter((file) => file.endsWith(".sql")).sort().map((file) => `sql/${file}`);

/** The migration a definition file is placed after (its `-- after:` header). */
const afterHeader = (file: string) => /^-- after: (\S+)/m.exec(fs.readFileSync(path.join(DEFINITIONS_DIR, path.basename(file)), "utf8"))![1];

const pending = async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await pendingChanges((sql) => client.query(sql));
  } finally {
    await client.end();
  }
};

test.serial("in production without CONFIRM_PRODUCTION_MIGRATION it refuses, naming the variable, and applies nothing", async (t) => {
  const run = spawnNode(MIGRATE, { NODE_ENV: "production", DATABASE_URL: url, BACKUP_BEFORE_MIGRATE: "false" }, ["up"]);
  t.is((await run.exited).code, 1);
  t.regex(run.output(), /refusing to run migration .* set CONFIRM_PRODUCTION_MIGRATION=true to confirm/);
  t.notRegex(run.output(), /JWT_SECRET/);
  t.deepEqual(await pending(), { migrations: migrationNames(), definitions: definitionFiles });
});

test.serial("confirmed, it migrates with only the database settings: no JWT_SECRET demanded", async (t) => {
  const run = spawnNode(MIGRATE, { NODE_ENV: "production", DATABASE_URL: url, CONFIRM_PRODUCTION_MIGRATION: "true", BACKUP_BEFORE_MIGRATE: "false" }, ["up"]);
  t.deepEqual(await run.exited, { code: 0, signal: null }, run.output());
  const lines = run.output().trim().split("\n");
  t.is(lines[0], "migrated     20261122000100-extensions-and-schemas");
  t.is(lines[lines.indexOf("migrated     20261122003200-submit-request") + 1], "applied      sql/3200-submit-request.sql (2 objects)");
  t.is(lines.filter((line) => line.startsWith("migrated ")).length, migrationNames().length);
  t.deepEqual(lines.filter((line) => line.startsWith("applied ")).map((line) => line.split(/ +/)[1]), definitionFiles);
  t.deepEqual(await pending(), { migrations: [], definitions: [] });
});

test.serial("run again, it says there is nothing to apply; db:rollback prints the files it dropped and the migration it undid", async (t) => {
  const env = { NODE_ENV: "test", DATABASE_URL: url };
  const again = spawnNode(MIGRATE, env, ["up"]);
  t.is((await again.exited).code, 0, again.output());
  t.is(again.output().trim(), "nothing to apply: the database is current");

  // Down to the newest migration that has definition files after it: they are dropped first.
  const undone: string[] = [];
  while (!undone.some((line) => line.startsWith("dropped")) && undone.length < migrationNames().length) {
    const down = spawnNode(MIGRATE, env, ["down"]);
    t.is((await down.exited).code, 0, down.output());
    undone.push(...down.output().trim().split("\n"));
  }
  t.deepEqual(undone.filter((line) => line.startsWith("rolled back"))[0], `rolled back  ${migrationNames().at(-1)!.slice(1)}`, "newest first");
  const rolledBack = undone.at(-1)!.replace(/^rolled back +/, "");
  const placedThere = definitionFiles.filter((file) => afterHeader(file) === rolledBack);
  t.true(placedThere.length > 0, `files placed after ${rolledBack}`);
  t.deepEqual(undone.filter((line) => line.startsWith("dropped")), placedThere.reverse().map((file) => `dropped      ${file} (its functions, views and triggers)`));
  t.deepEqual((await pending()).definitions, placedThere.sort());

  const up = spawnNode(MIGRATE, env, ["up"]);
  t.is((await up.exited).code, 0, up.output());
  t.deepEqual(up.output().trim().split("\n").filter((line) => line.startsWith("applied")).map((line) => line.split(/ +/)[1]), placedThere);
  t.deepEqual(await pending(), { migrations: [], definitions: [] });
});

test.serial("a setting the migration does not use is not validated (PORT), one it uses is (DATABASE_URL)", async (t) => {
  const unused = spawnNode(MIGRATE, { NODE_ENV: "production", DATABASE_URL: url, CONFIRM_PRODUCTION_MIGRATION: "true", BACKUP_BEFORE_MIGRATE: "false", PORT: "eighty" }, ["up"]);
  t.is((await unused.exited).code, 0, unused.output());
  const used = spawnNode(MIGRATE, { NODE_ENV: "production", DATABASE_URL: "mysql://x@y/z" }, ["up"]);
  t.is((await used.exited).code, 2);
  t.regex(used.output(), /DATABASE_URL: unsupported scheme "mysql"/);
});
