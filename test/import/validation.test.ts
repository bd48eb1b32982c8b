// All or nothing: problems are found before anything is written, named by record and field, and
// in stop mode (the default) the database is left exactly as it was.
import test from "ava";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { generateLegacyFile } from "../helpers/legacyFiles.ts";
import { importLegacyFile } from "../../src/import/importer.ts";
import { count, fingerprint, runCli, tempFile } from "./_support.ts";

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
  // Something already there, so that "as before" is not just "empty".
  const base = tempFile("base.json", JSON.stringify({ users: [{ id: "existing", email: "taken@example.com" }] }));
  const result = await importLegacyFile({ databaseUrl: db.ownerUrl, file: base, quiet: true });
  if (!result.ok) throw new Error(result.error);
});
test.after.always(async () => {
  await db?.drop();
});

test.serial("a bad record in the middle of a large file is named in the report and nothing is written", async (t) => {
  const file = tempFile("bad-middle.json");
  await generateLegacyFile(file, { users: 3000, projects: 100, aiJobs: 100, sessions: 100, seed: 3 });
  // Corrupt user 1500's email in place (the generator writes "user1500@example.com").
  const fs = await import("node:fs");
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"user1500@example.com"', '"not an email"'));
  const before = await fingerprint(db.ownerPool);
  const run = await runCli("import", [file], db.ownerUrl);
  t.is(run.code, 1);
  // The table's own check constraint decides, and the report names the record.
  t.regex(run.stderr, /^users\[1500\]\.email: violates check constraint users_email_check: \(email ~ /m);
  t.regex(run.stderr, /import failed: 1 problem\(s\) found; nothing was imported/);
  t.deepEqual(await fingerprint(db.ownerPool), before);
});

test.serial("dangling references, duplicate emails and duplicate legacy ids are all reported before writing", async (t) => {
  const file = tempFile("dupes.json", JSON.stringify({
    users: [
      { id: 1, email: "a@example.com" },
      { id: "1", email: "b@example.com" },
      { id: 2, email: "A@example.com" },
      { id: 3, email: "taken@example.com" },
    ],
    projects: [{ id: 10, user_id: 99, name: "orphan" }],
    ai_jobs: [{ id: 20, user_id: 2, project_id: "nope", provider: "openai" }],
    sessions: [{ id: 30, user_id: 2, refresh_token: "t", expires_at: "2030-01-01" }],
  }));
  const before = await fingerprint(db.ownerPool);
  const result = await importLegacyFile({ databaseUrl: db.ownerUrl, file, quiet: true });
  t.false(result.ok);
  t.deepEqual(result.problems.sort(), [
    "ai_jobs[0].project_id: dangling reference: no projects record with id \"nope\"",
    "projects[0].user_id: dangling reference: no users record with id 99",
    "users[0].email: duplicate email under unique index idx_users_email (also users[2])",
    "users[0].id: duplicate legacy id (also users[1])",
    "users[1].id: duplicate legacy id (also users[0])",
    "users[2].email: duplicate email under unique index idx_users_email (also users[0])",
    "users[3].email: email already used by another stored row (unique index idx_users_email)",
  ].sort());
  t.deepEqual(await fingerprint(db.ownerPool), before);
});

test.serial("field problems name the record and the field; unknown top-level keys are reported, not dropped silently", async (t) => {
  const file = tempFile("fields.json", JSON.stringify({
    users: [
      { id: 5, email: "ok@example.com", role: "root", created_at: "yesterday", password: "hunter2" },
      { id: 7, email: "seven@example.com", total_requests: -1 },
    ],
    sessions: [{ id: 6, user_id: 5, expires_at: "2030-01-01" }],
    payments: [],
  }));
  const result = await importLegacyFile({ databaseUrl: db.ownerUrl, file, quiet: true });
  t.false(result.ok);
  t.deepEqual(result.problems.sort(), [
    "payments: unknown top-level key (expected users, projects, ai_jobs, sessions); its value is not imported",
    "sessions[0].refresh_token_sha256: required (a --map file can rename the file's own field to it, or give a default)",
    "users[0].password: plain-text passwords are not imported: hash them with bcrypt into password_hash first",
    "users[0].created_at: not a timestamp (ISO 8601, YYYY-MM-DD HH:MM:SS or epoch seconds/milliseconds)",
    "users[0].role: not one of user, operator, admin",
    "users[1].total_requests: violates check constraint users_total_requests_check: (total_requests >= 0)",
  ].sort());
});

test.serial("skip mode imports the valid records and reports the invalid ones and those depending on them", async (t) => {
  const file = tempFile("skip.json", JSON.stringify({
    users: [{ id: 1, email: "one@example.com" }, { id: 2, email: "bad" }],
    projects: [{ id: 10, user_id: 1, name: "keep" }, { id: 11, user_id: 2, name: "lost" }],
    ai_jobs: [{ id: 20, user_id: 2, project_id: 11, provider: "glm" }, { id: 21, user_id: 1, project_id: 10, provider: "glm" }],
    sessions: [{ id: 30, user_id: 2, refresh_token: "x", expires_at: 1893456000 }],
  }));
  const usersBefore = await count(db.ownerPool, "app_public.users");
  const run = await runCli("import", [file, "--on-invalid", "skip", "--batch-name", "skip-test"], db.ownerUrl);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stderr, /^users\[1\]\.email: violates check constraint users_email_check/m);
  t.regex(run.stderr, /^projects\[1\]: skipped: depends on users\[1\], which is not imported$/m);
  t.regex(run.stderr, /^ai_jobs\[0\]: skipped: depends on users\[1\], which is not imported$/m);
  t.regex(run.stderr, /^sessions\[0\]: skipped: depends on users\[1\], which is not imported$/m);
  t.regex(run.stdout, /users\s+2\s+1\s+0\s+0\s+0\s+1/);
  t.regex(run.stdout, /projects\s+2\s+1\s+0\s+0\s+1\s+0/);
  t.is(await count(db.ownerPool, "app_public.users"), usersBefore + 1);
  const { rows } = await db.ownerPool.query("select report from app_private.import_batches where name = 'skip-test'");
  t.true(rows[0].report.some((line: string) => line.startsWith("users[1].email: violates check constraint users_email_check")));
});
