// Reversible: a batch is rolled back as a whole, restoring updated rows and removing inserted
// ones, and only when no later change depends on it.
import test from "ava";
import fs from "node:fs";
import { createTestDatabase } from "../helpers/database.ts";
import { importLegacyFile } from "../../src/import/importer.ts";
import { rollbackBatch } from "../../src/import/rollback.ts";
import { fingerprint, runCli, tempFile } from "./_support.ts";

const v1 = {
  users: [{ id: 1, email: "one@example.com", tier: "free", nickname: "first" }, { id: 2, email: "two@example.com" }],
  projects: [{ id: "p1", user_id: 1, name: "Alpha" }],
};
const v2 = {
  users: [{ id: 1, email: "one@example.com", tier: "pro", nickname: "changed" }, { id: 2, email: "two@example.com" }, { id: 3, email: "three@example.com" }],
  projects: [{ id: "p1", user_id: 1, name: "Alpha renamed" }, { id: "p2", user_id: 3, name: "Beta" }],
};

async function importJson(url: string, data: unknown, batchName: string) {
  const result = await importLegacyFile({ databaseUrl: url, file: tempFile("f.json", JSON.stringify(data)), batchName, quiet: true });
  if (!result.ok) throw new Error(result.error);
  return result;
}

test("a changed file updates the changed rows, and rolling it back restores their previous version", async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  await importJson(db.ownerUrl, v1, "v1");
  const afterV1 = await fingerprint(db.ownerPool);
  const second = await importJson(db.ownerUrl, v2, "v2");
  t.like(second.counts.users, { inserted: 1, updated: 1, unchanged: 1 });
  t.like(second.counts.projects, { inserted: 1, updated: 1, unchanged: 0 });
  const { rows } = await db.ownerPool.query("select tier::text, legacy->'extra'->>'nickname' nick from app_public.users where email = 'one@example.com'");
  t.deepEqual(rows[0], { tier: "pro", nick: "changed" });

  // Export of one batch: the records it inserted or updated, as the file had them.
  const out = tempFile("v2.json");
  const exported = await runCli("export-legacy", [out, "--batch", "v2"], db.ownerUrl);
  t.is(exported.code, 0, exported.stderr);
  t.deepEqual(JSON.parse(fs.readFileSync(out, "utf8")), {
    users: [v2.users[0], v2.users[2]],
    projects: v2.projects,
    ai_jobs: [],
    sessions: [],
  });

  const run = await runCli("import-rollback", ["v2"], db.ownerUrl);
  t.is(run.code, 0, run.stderr);
  const after = await fingerprint(db.ownerPool);
  for (const table of ["app_private.legacy_ids"]) t.is(after[table], afterV1[table], table);
  const users = await db.ownerPool.query("select email::text, tier::text, legacy from app_public.users order by email");
  t.deepEqual(users.rows.map((r) => [r.email, r.tier, r.legacy.extra?.nickname]), [["one@example.com", "free", "first"], ["two@example.com", "free", undefined]]);
  const projects = await db.ownerPool.query("select name from app_public.projects");
  t.deepEqual(projects.rows, [{ name: "Alpha" }]);
  const batch = await db.ownerPool.query("select status from app_private.import_batches where name = 'v2'");
  t.is(batch.rows[0].status, "rolled_back");
});

test("rolling back an insert-only batch removes exactly its rows", async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  await importJson(db.ownerUrl, { users: [{ id: "keep", email: "keep@example.com" }] }, "first");
  const before = await fingerprint(db.ownerPool);
  const batch = await importJson(db.ownerUrl, {
    users: [{ id: "new", email: "new@example.com" }],
    projects: [{ id: 1, user_id: "new", name: "P" }, { id: 2, user_id: "keep", name: "Q" }],
    ai_jobs: [{ id: 1, user_id: "keep", project_id: 2, provider: "anthropic" }],
    sessions: [{ id: 1, user_id: "new", refresh_token: "abc", expires_at: "2031-05-06 07:08:09" }],
  }, "second");
  const result = await rollbackBatch(db.ownerUrl, batch.batchId!);
  t.true(result.ok, result.error);
  t.deepEqual(result.deleted, { sessions: 1, ai_jobs: 1, projects: 2, users: 1 });
  const after = await fingerprint(db.ownerPool);
  for (const table of ["app_public.users", "app_public.projects", "app_public.ai_jobs", "app_public.sessions", "app_private.legacy_ids"]) {
    t.is(after[table], before[table], table);
  }
});

test("rollback refuses while a later batch changed the same rows, and works newest first", async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  await importJson(db.ownerUrl, v1, "v1");
  await importJson(db.ownerUrl, v2, "v2");
  const before = await fingerprint(db.ownerPool);
  const refused = await rollbackBatch(db.ownerUrl, "v1");
  t.false(refused.ok);
  t.regex(refused.error!, /refusing to roll back batch v1: 1 users row\(s\) changed after the batch \(through the API or by a later batch\); 1 projects row\(s\) changed after the batch/);
  t.deepEqual(await fingerprint(db.ownerPool), before);
  t.true((await rollbackBatch(db.ownerUrl, "v2")).ok);
  t.true((await rollbackBatch(db.ownerUrl, "v1")).ok);
  const { rows } = await db.ownerPool.query("select (select count(*)::int from app_public.users) u, (select count(*)::int from app_private.legacy_ids) l");
  t.deepEqual(rows[0], { u: 0, l: 0 });
});
