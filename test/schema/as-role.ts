// Runs SQL the way the gateway does: connected as spendgate_authenticator, inside one
// transaction, after switching to the caller's role and setting the caller's claims locally.
// Shared by the schema tests; also seeds users and projects directly as the owner.
import { randomUUID } from "node:crypto";
import test from "ava";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

export type ApiRole = "spendgate_anonymous" | "spendgate_user" | "spendgate_operator" | "spendgate_admin";

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

/** Inserts a user as the owner (bypassing RLS) and returns its id. */
export async function createUser(
  owner: pg.Pool,
  fields: { role?: "user" | "operator" | "admin"; email?: string; tier?: string } = {},
): Promise<string> {
  const userId = randomUUID();
  await owner.query(
    `insert into app_public.users (user_id, email, role, tier, password_hash)
     values ($1, $2, $3, coalesce($4, 'free')::app_public.usertier, public.crypt('secret', public.gen_salt('bf', 4)))`,
    [userId, fields.email ?? `${userId}@example.com`, fields.role ?? "user", fields.tier ?? null],
  );
  return userId;
}

export async function createProject(owner: pg.Pool, userId: string, name = `project ${randomUUID()}`): Promise<string> {
  const { rows } = await owner.query(
    "insert into app_public.projects (user_id, name) values ($1, $2) returning project_id",
    [userId, name],
  );
  return rows[0].project_id;
}

/** A 64-character hex string, like the SHA-256 hashes stored for keys and refresh tokens. */
export function fakeHash(): string {
  return (randomUUID() + randomUUID()).replaceAll("-", "").padEnd(64, "0").slice(0, 64);
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
