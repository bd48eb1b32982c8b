// Process-level faults, kept apart: the database connection dies mid-import.
import test from "ava";
import pg from "pg";
import { createTestDatabase } from "../helpers/database.ts";
import { generateLegacyFile } from "../../src/import/generate.ts";
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
