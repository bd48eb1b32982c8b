// The start-up sequence for a database (seed 004 M-2): apply pending migrations and changed
// definition files of sql/, then make sure
// the authenticator role can log in with the password this deployment uses.
import pg from "pg";
import type { Logger } from "../logger.ts";
import { AUTHENTICATOR_ROLE, type DatabaseTarget } from "./connect.ts";
import { runMigrations, type MigrationEvent, type MigrationOptions } from "./migrate.ts";

/** Returns what was applied (migrations and definition files of sql/). */
export async function prepareDatabase(target: DatabaseTarget, log: Logger, options: Pick<MigrationOptions, "onEvent"> = {}): Promise<MigrationEvent[]> {
  const events = await runMigrations(target.ownerUrl, "up", options);
  log.info(
    {
      migrations: events.flatMap((event) => (event.type === "migrated" ? [event.migration] : [])),
      definitions: events.flatMap((event) => (event.type === "applied" ? [event.file] : [])),
    },
    "migrations applied",
  );
  if (target.authenticatorPassword) await setAuthenticatorPassword(target.ownerUrl, target.authenticatorPassword, log);
  return events;
}

async function setAuthenticatorPassword(ownerUrl: string, password: string, log: Logger): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(`alter role ${AUTHENTICATOR_ROLE} with login password ${client.escapeLiteral(password)}`);
  } catch (error) {
    // Without CREATEROLE the owner cannot set it; the DBA then sets it (see README).
    log.warn({ err: (error as Error).message }, `could not set the password of ${AUTHENTICATOR_ROLE}`);
  } finally {
    await client.end();
  }
}
