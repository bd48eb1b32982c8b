// Decides which PostgreSQL the process talks to: the server named by DATABASE_URL (waited for
// with a bounded, backed-off retry: seed 004 asks for connection retry) or the embedded default.
import pg from "pg";
import type { DatabaseConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { startEmbeddedPostgres, type EmbeddedCluster } from "./embedded.ts";

export const EMBEDDED_DATABASE_NAME = "spendgate";
export const AUTHENTICATOR_ROLE = "spendgate_authenticator";

export interface DatabaseTarget {
  /** Owner connection: migrations, worker, readiness. */
  ownerUrl: string;
  /** Least-privilege connection of the API (cannot bypass row-level security). */
  authUrl: string;
  /** Password to (re)set on the authenticator role after migrating, when we know it. */
  authenticatorPassword: string | undefined;
  embedded: EmbeddedCluster | undefined;
}

export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

export async function openDatabase(config: DatabaseConfig, log: Logger): Promise<DatabaseTarget> {
  if (config.url) {
    await waitForDatabase(config.url, config.connectRetries, log);
    return {
      ownerUrl: config.url,
      authUrl: config.authUrl ?? authenticatorUrl(config.url, config.authenticatorPassword),
      authenticatorPassword: config.authenticatorPassword,
      embedded: undefined,
    };
  }
  const embedded = await startEmbeddedPostgres({
    dir: config.embeddedDir,
    port: config.embeddedPort,
    authMethod: "scram-sha-256",
    persistent: true,
    log,
  });
  try {
    await createDatabaseIfMissing(embedded.url("postgres"), EMBEDDED_DATABASE_NAME);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return {
    ownerUrl: embedded.url(EMBEDDED_DATABASE_NAME),
    authUrl: embedded.url(EMBEDDED_DATABASE_NAME, { user: AUTHENTICATOR_ROLE, password: embedded.authenticatorPassword }),
    authenticatorPassword: embedded.authenticatorPassword,
    embedded,
  };
}

/** The owner URL with the authenticator's name (and password, when given) in place of the owner's. */
export function authenticatorUrl(ownerUrl: string, password: string | undefined): string {
  const url = new URL(ownerUrl);
  url.username = AUTHENTICATOR_ROLE;
  url.password = password ?? "";
  return url.toString();
}

export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/** Tries to connect, backing off 0.25 s, 0.5 s, 1 s, ... between attempts; fails with one clear line. */
export async function waitForDatabase(url: string, retries: number, log: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query("select 1");
      return;
    } catch (error) {
      const reason = (error as Error).message || String(error);
      if (attempt >= retries || isPermanent(error)) {
        throw new DatabaseUnavailableError(`cannot connect to DATABASE_URL ${redactUrl(url)}: ${reason}`);
      }
      const delayMs = 250 * 2 ** attempt;
      log.warn({ attempt: attempt + 1, retries, delayMs, reason }, "database not reachable yet, retrying");
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** Errors that waiting will not fix: bad credentials, a database that does not exist. */
function isPermanent(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "28P01" || code === "28000" || code === "3D000";
}

export async function createDatabaseIfMissing(maintenanceUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (rowCount === 0) await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
