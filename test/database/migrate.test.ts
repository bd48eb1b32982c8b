// The migration runner: instances starting at once serialise on an advisory lock (the first
// migrates, the others find nothing to do), and readiness sees what is pending: migrations and
// definition files of sql/.
import test from "ava";
import pg from "pg";
import { loadPlan } from "../../src/database/plan.ts";
import { DEFINITIONS_DIR, MIGRATIONS_DIR, migrationNames, pendingChanges, runMigrations } from "../../src/database/migrate.ts";
import { databaseUrl, withServerClient } from "../helpers/database.ts";

const definitionFiles = loadPlan({ migrationsDir: MIGRATIONS_DIR, definitionsDir: DEFINITIONS_DIR }).flatMap((step) =>
  step.kind === "definition" ? [step.file] : [],
);

test("three instances migrating one empty database at once apply every migration and definition file exactly once", async (t) => {
  const name = `spendgate_race_${process.pid}`;
  await withServerClient((client) => client.query(`create database ${name}`));
  const url = databaseUrl(name);
  try {
    const runs = await Promise.all([runMigrations(url), runMigrations(url), runMigrations(url)]);
    const applied = runs.flat().flatMap((event) => (event.type === "applied" ? [event.file] : []));
    t.deepEqual(applied, definitionFiles.map((file) => `sql/${file}`), "each file applied once, in plan order");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>("select name from public.migrations order by id");
      t.deepEqual(rows.map((row) => row.name), migrationNames());
      const { rows: files } = await client.query<{ file: string }>("select file from public.sql_definitions order by file");
      t.deepEqual(files.map((row) => row.file), definitionFiles);
      t.deepEqual(await pendingChanges((sql) => client.query(sql)), { migrations: [], definitions: [] });
    } finally {
      await client.end();
    }
  } finally {
    await withServerClient((client) => client.query(`drop database if exists ${name} with (force)`));
  }
});

test("on a database without the history tables every migration and definition file is pending", async (t) => {
  const name = `spendgate_empty_${process.pid}`;
  await withServerClient((client) => client.query(`create database ${name}`));
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    t.deepEqual(await pendingChanges((sql) => client.query(sql)), {
      migrations: migrationNames(),
      definitions: definitionFiles.map((file) => `sql/${file}`),
    });
  } finally {
    await client.end();
    await withServerClient((c) => c.query(`drop database if exists ${name} with (force)`));
  }
});
