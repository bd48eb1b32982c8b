// Users for tests, created directly in the database (as the owner): the API's register path
// has its own tests.
import type pg from "pg";

export type Role = "user" | "operator" | "admin";

export async function createUser(pool: pg.Pool, email: string, role: Role = "user", password = "password123"): Promise<string> {
  const { rows } = await pool.query<{ user_id: string }>(
    "insert into app_public.users (email, role, password_hash) values ($1, $2, crypt($3, gen_salt('bf', 4))) returning user_id",
    [email, role, password],
  );
  return rows[0]!.user_id;
}
