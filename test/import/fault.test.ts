// Process-level faults, kept apart: the database connection dies mid-import.
import test from "ava";
import pg from "pg";
import { createTestDatabase } from "../helpers/database.ts";
import { generateLegacyFile } from "../helpers/legacyFiles.ts";
import { importLegacyFile } from "../../src/import/importer.ts";
import { count, fingerprint, tempFile } from "./_support.ts";

test("an import whose database backend is killed before COMMIT leaves nothing, and a rerun succeeds", async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const file = tempFile("kill.json");
  await generateLegacyFile(file, { users: 500, projects: 500, aiJobs: 1000, sessions: 500, seed: 11 });
  const before = await fingerprint(db.ownerPool);
  let killed = false;
  const result = await importLegacyFile({
    databaseUrl: db.ownerUrl,
    file,
    quiet: true,
    // Everything is merged and verified at this point: the most to lose.
    async beforeCommit(pid) {
      const admin = new pg.Client({ connectionString: db.ownerUrl });
      await admin.connect();
      const { rows } = await admin.query("select pg_terminate_backend($1) ok", [pid]);
      killed = rows[0].ok;
      await admin.end();
    },
  });
  t.true(killed);
  t.false(result.ok);
  t.regex(result.error!, /terminat|Connection|closed/i);
  t.deepEqual(await fingerprint(db.ownerPool), before);

  const rerun = await importLegacyFile({ databaseUrl: db.ownerUrl, file, quiet: true });
  t.true(rerun.ok, rerun.error);
  t.is(await count(db.ownerPool, "app_public.ai_jobs"), 1000);
});

test("a row that differs from its input record after the merge fails verification and nothing is written", async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const file = tempFile("verify.json");
  await generateLegacyFile(file, { users: 50, projects: 50, aiJobs: 50, sessions: 50, seed: 5, edgeCases: true });
  const before = await fingerprint(db.ownerPool);
  const result = await importLegacyFile({
    databaseUrl: db.ownerUrl,
    file,
    quiet: true,
    // Stands for any merge bug or interference: one extra field of one project changes.
    afterMerge: async (client) => {
      await client.query(`update app_public.projects set legacy = jsonb_set(legacy, '{extra,tampered}', 'true')
        where project_id = (select project_id from app_public.projects order by project_id limit 1)`);
    },
  });
  t.false(result.ok);
  t.is(result.error, "projects: checksum of the imported rows differs from the input's");
  t.deepEqual(await fingerprint(db.ownerPool), before);
});

test("a missing row fails the count verification", async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const file = tempFile("count.json");
  await generateLegacyFile(file, { users: 20, projects: 20, aiJobs: 20, sessions: 20, seed: 6 });
  const result = await importLegacyFile({
    databaseUrl: db.ownerUrl,
    file,
    quiet: true,
    afterMerge: async (client) => {
      await client.query("delete from app_public.sessions where session_id = (select min(session_id::text)::uuid from app_public.sessions)");
    },
  });
  t.false(result.ok);
  t.regex(result.error!, /^sessions: 20 records to import but 19 rows found/);
  t.is(await count(db.ownerPool, "app_public.sessions"), 0);
});
