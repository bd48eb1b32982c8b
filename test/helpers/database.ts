// Each test file gets its own database: a clone (CREATE DATABASE ... TEMPLATE) of a template
// that has every migration applied. The template is built once per set of migrations: its name
// carries a hash of migrations/ and sql/ (the definition files), so a changed migration or
// function builds a new one and stale ones are dropped. Building is serialised by an advisory
// lock, since ava runs files in parallel processes.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { AUTHENTICATOR_ROLE } from "../../src/database/connect.ts";
import { DEFINITIONS_DIR, MIGRATIONS_DIR, runMigrations } from "../../src/database/migrate.ts";

export interface TestDatabase {
  name: string;
  ownerUrl: string;
  /** As spendgate_authenticator, the least-privilege role the API connects as. */
  authUrl: string;
  ownerPool: pg.Pool;
  drop(): Promise<void>;
}

export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("TEST_DATABASE_URL is not set: run the tests with `npm test`, which sets it");
  return url;
}

export function databaseUrl(name: string, user?: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  if (user) {
    url.username = user;
    url.password = "";
  }
  return url.toString();
}

/** Runs `fn` with a client on the server's maintenance database. */
export async function withServerClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function migrationsHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(entry.name).update(fs.readFileSync(full));
    }
  };
  walk(MIGRATIONS_DIR);
  walk(DEFINITIONS_DIR);
  return hash.digest("hex").slice(0, 16);
}

let templatePromise: Promise<string> | undefined;

export function templateName(): Promise<string> {
  return (templatePromise ??= buildTemplateOnce());
}

async function buildTemplateOnce(): Promise<string> {
  const name = `spendgate_tpl_${migrationsHash()}`;
  await withServerClient(async (client) => {
    await client.query("select pg_advisory_lock(hashtext('spendgate:test-template'))");
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (rowCount) return;
    await dropStaleTemplates(client, name);
    await client.query(`create database ${client.escapeIdentifier(name)}`);
    try {
      await runMigrations(databaseUrl(name), "up");
    } catch (error) {
      await client.query(`drop database ${client.escapeIdentifier(name)}`);
      throw error;
    }
    await client.query(`alter database ${client.escapeIdentifier(name)} is_template true`);
    await client.query(`comment on database ${client.escapeIdentifier(name)} is '${Date.now()}'`);
  });
  return name;
}

/**
 * Templates of other migration sets, built more than an hour ago (a concurrent run on another
 * branch may still be cloning a recent one). The build time is kept in the database's comment.
 */
async function dropStaleTemplates(client: pg.Client, current: string): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    `select datname from pg_database
      where datname like 'spendgate\\_tpl\\_%' and datname <> $1
        and coalesce(nullif(shobj_description(oid, 'pg_database'), ''), '0')::bigint < $2`,
    [current, Date.now() - 3_600_000],
  );
  for (const { datname } of rows) {
    await client.query(`alter database ${client.escapeIdentifier(datname)} is_template false`).catch(() => undefined);
    await client.query(`drop database if exists ${client.escapeIdentifier(datname)}`).catch(() => undefined);
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const template = await templateName();
  const name = `spendgate_test_${randomBytes(6).toString("hex")}`;
  await withServerClient((client) =>
    client.query(`create database ${client.escapeIdentifier(name)} template ${client.escapeIdentifier(template)}`),
  );
  const ownerUrl = databaseUrl(name);
  const ownerPool = new pg.Pool({ connectionString: ownerUrl, max: 4 });
  // Tests drop and restart databases: client errors are expected and must not kill the run.
  ownerPool.on("error", () => undefined);
  ownerPool.on("connect", (client) => client.on("error", () => undefined));
  return {
    name,
    ownerUrl,
    authUrl: databaseUrl(name, AUTHENTICATOR_ROLE),
    ownerPool,
    async drop() {
      await ownerPool.end();
      await withServerClient((client) => client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`));
    },
  };
}

/** A brand-new, empty database (from template0, nothing migrated), dropped when the test ends. */
export async function createEmptyDatabase(t: { teardown(fn: () => Promise<void>): void }): Promise<{ url: string; pool: pg.Pool }> {
  const name = `spendgate_empty_${randomBytes(6).toString("hex")}`;
  await withServerClient((client) => client.query(`create database ${name} template template0`));
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  t.teardown(async () => {
    await pool.end();
    await withServerClient((client) => client.query(`drop database if exists ${name} with (force)`));
  });
  return { url, pool };
}
