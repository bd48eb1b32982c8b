// Runs SQL the way the gateway does: connected as spendgate_authenticator, inside one
// transaction, after switching to the caller's role and setting the caller's claims locally.
// Shared by the schema tests (rows to start from come from test/helpers/fixtures.ts).
import test from "ava";
import pg from "pg";
import type { ApiRole } from "../../src/auth/identity.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";


export interface Caller {
  role: ApiRole;
  userId?: string;
  includeDeleted?: boolean;
}

export const user = (userId: string): Caller => ({ role: "spendgate_user", userId });
export const operator = (userId: string): Caller => ({ role: "spendgate_operator", userId });
export const admin = (userId: string, includeDeleted = false): Caller => ({ role: "spendgate_admin", userId, includeDeleted });
export const anonymous: Caller = { role: "spendgate_anonymous" };

/** Runs `fn` in one transaction as `caller`; commits when it resolves, rolls back when it throws. */
export async function as<T>(pool: pg.Pool, caller: Caller, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      `select set_config('role', $1, true), set_config('jwt.claims.user_id', $2, true),
              set_config('jwt.claims.role', $3, true), set_config('spendgate.include_deleted', $4, true)`,
      [caller.role, caller.userId ?? "", caller.role.replace("spendgate_", ""), caller.includeDeleted ? "on" : ""],
    );
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** One query as `caller`, in its own transaction. */
export async function queryAs<R extends pg.QueryResultRow = any>(
  pool: pg.Pool,
  caller: Caller,
  sql: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  return as(pool, caller, (client) => client.query<R>(sql, values));
}

/** The SQLSTATE of a rejected query (for `t.throwsAsync(..., { code })`-style checks). */
export async function sqlState(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

/**
 * Registers before/after hooks giving the calling test file its own database and a pool
 * connected as spendgate_authenticator (what the gateway uses); filled in before tests run.
 */
export function useDatabaseAndApiPool(): { db: TestDatabase; api: pg.Pool } {
  const state = {} as { db: TestDatabase; api: pg.Pool };
  test.before(async () => {
    state.db = await createTestDatabase();
    state.api = new pg.Pool({ connectionString: state.db.authUrl, max: 6 });
    state.api.on("error", () => undefined);
  });
  test.after.always(async () => {
    await state.api?.end();
    await state.db?.drop();
  });
  return state;
}
