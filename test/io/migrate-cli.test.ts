// `npm run db:migrate` as a deploy pipeline runs it: NODE_ENV=production, only the database
// settings (no JWT_SECRET, no Redis), and the production guard still asking for confirmation.
import path from "node:path";
import test from "ava";
import pg from "pg";
import { migrationNames, pendingMigrations } from "../../src/database/migrate.ts";
import { PROJECT_ROOT } from "../../src/projectRoot.ts";
import { databaseUrl, withServerClient } from "../helpers/database.ts";
import { spawnNode } from "../helpers/process.ts";

const MIGRATE = path.join(PROJECT_ROOT, "src/cli/migrate.ts");
const name = `spendgate_migrate_cli_${process.pid}`;
const url = databaseUrl(name);

test.before(() => withServerClient((client) => client.query(`create database ${name}`)));
test.after.always(() => withServerClient((client) => client.query(`drop database if exists ${name} with (force)`)));

const pending = async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await pendingMigrations((sql) => client.query(sql));
  } finally {
    await client.end();
  }
};

test.serial("in production without CONFIRM_PRODUCTION_MIGRATION it refuses, naming the variable, and applies nothing", async (t) => {
  const run = spawnNode(MIGRATE, { NODE_ENV: "production", DATABASE_URL: url }, ["up"]);
  t.is((await run.exited).code, 1);
  t.regex(run.output(), /refusing to run migration .* set CONFIRM_PRODUCTION_MIGRATION=true to confirm/);
  t.notRegex(run.output(), /JWT_SECRET/);
  t.deepEqual(await pending(), migrationNames());
});

test.serial("confirmed, it migrates with only the database settings: no JWT_SECRET demanded", async (t) => {
  const run = spawnNode(MIGRATE, { NODE_ENV: "production", DATABASE_URL: url, CONFIRM_PRODUCTION_MIGRATION: "true" }, ["up"]);
  t.deepEqual(await run.exited, { code: 0, signal: null }, run.output());
  t.regex(run.output(), /migrations applied/);
  t.deepEqual(await pending(), []);
});

test.serial("a setting the migration does not use is not validated (PORT), one it uses is (DATABASE_URL)", async (t) => {
  const unused = spawnNode(MIGRATE, { NODE_ENV: "production", DATABASE_URL: url, CONFIRM_PRODUCTION_MIGRATION: "true", PORT: "eighty" }, ["up"]);
  t.is((await unused.exited).code, 0, unused.output());
  const used = spawnNode(MIGRATE, { NODE_ENV: "production", DATABASE_URL: "mysql://x@y/z" }, ["up"]);
  t.is((await used.exited).code, 2);
  t.regex(used.output(), /DATABASE_URL: unsupported scheme "mysql"/);
});
