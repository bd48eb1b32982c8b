// The migration runner: instances starting at once serialise on an advisory lock (the first
// migrates, the others find nothing to do), and readiness sees what is pending.
import test from "ava";
import pg from "pg";
import { migrationNames, pendingMigrations, runMigrations } from "../../src/database/migrate.ts";
import { databaseUrl, withServerClient } from "../helpers/database.ts";

test("three instances migrating one empty database at once apply every migration exactly once", async (t) => {
  const name = `spendgate_race_${process.pid}`;
  await withServerClient((client) => client.query(`create database ${name}`));
  const url = databaseUrl(name);
  try {
    await Promise.all([runMigrations(url), runMigrations(url), runMigrations(url)]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>("select name from public.migrations order by id");
      t.deepEqual(rows.map((row) => row.name), migrationNames());
      t.deepEqual(await pendingMigrations((sql) => client.query(sql)), []);
    } finally {
      await client.end();
    }
  } finally {
    await withServerClient((client) => client.query(`drop database if exists ${name} with (force)`));
  }
});

test("on a database without the history table every migration is pending", async (t) => {
  const name = `spendgate_empty_${process.pid}`;
  await withServerClient((client) => client.query(`create database ${name}`));
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    t.deepEqual(await pendingMigrations((sql) => client.query(sql)), migrationNames());
  } finally {
    await client.end();
    await withServerClient((c) => c.query(`drop database if exists ${name} with (force)`));
  }
});
