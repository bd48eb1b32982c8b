// The cleanup job (task cleanup_expired, hourly): expired sessions and expired phone verification
// codes are deleted as of the cron run's timestamp; live ones, and codes still counting towards
// the hourly limit, stay; running it again deletes nothing more. Time is set in the rows and the
// payload, never waited for. Its own database: the job works on every row.
import { randomBytes } from "node:crypto";
import test from "ava";
import { Logger, quickAddJob, runOnce } from "graphile-worker";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createUser } from "../helpers/fixtures.ts";
import cleanupExpired from "../../src/tasks/cleanup_expired.ts";

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.drop();
});

const silent = new Logger(() => () => undefined);

async function session(userId: string, expiresAt: string): Promise<string> {
  const { rows } = await db.ownerPool.query(
    "insert into app_public.sessions (user_id, refresh_token, expires_at) values ($1, $2, $3) returning session_id",
    [userId, randomBytes(32).toString("hex"), expiresAt],
  );
  return rows[0].session_id;
}

async function code(userId: string, createdAt: string, expiresAt: string): Promise<string> {
  const { rows } = await db.ownerPool.query(
    `insert into app_private.phone_verifications (user_id, phone_number, code_hash, salt, expires_at, created_at)
     values ($1, '+15550000000', $2, 'salt', $3, $4) returning verification_id`,
    [userId, randomBytes(32).toString("hex"), expiresAt, createdAt],
  );
  return rows[0].verification_id;
}

test("expired sessions and verification codes are deleted as of the run; the rest stays; a second run deletes nothing", async (t) => {
  const userId = await createUser(db.ownerPool);
  const expired = await session(userId, "2026-06-01T11:00:00Z");
  const live = await session(userId, "2026-06-30T00:00:00Z");
  const oldCode = await code(userId, "2026-06-01T10:00:00Z", "2026-06-01T10:10:00Z");
  const recentExpiredCode = await code(userId, "2026-06-01T11:30:00Z", "2026-06-01T11:40:00Z"); // still counts for the hour
  const liveCode = await code(userId, "2026-06-01T11:55:00Z", "2026-06-01T12:05:00Z");

  const options = { connectionString: db.ownerUrl, taskList: { cleanup_expired: cleanupExpired }, logger: silent };
  await quickAddJob(options, "cleanup_expired", { _cron: { ts: "2026-06-01T12:00:00Z", backfilled: false } });
  await runOnce(options);
  t.is((await db.ownerPool.query("select count(*)::int as n from graphile_worker.jobs")).rows[0].n, 0, "the job succeeded");

  const sessions = (await db.ownerPool.query("select session_id from app_public.sessions")).rows.map((r) => r.session_id);
  t.deepEqual(sessions, [live]);
  t.false(sessions.includes(expired));
  const codes = (await db.ownerPool.query("select verification_id from app_private.phone_verifications order by created_at")).rows.map((r) => r.verification_id);
  t.deepEqual(codes, [recentExpiredCode, liveCode]);
  t.false(codes.includes(oldCode));

  const { rows } = await db.ownerPool.query("select * from app_private.cleanup_expired('2026-06-01T12:00:00Z')");
  t.deepEqual(rows, [{ sessions_deleted: 0, codes_deleted: 0 }]);
});
