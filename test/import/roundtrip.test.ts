// Zero data loss: import → export gives back every record of a file full of edge cases, numbers
// compared by their exact text. Re-running a file adds nothing; a dry run writes nothing.
import test from "ava";
import fs from "node:fs";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { exportLegacyFile } from "../../src/import/export.ts";
import { sha256 } from "../../src/import/fields.ts";
import { generateLegacyFile } from "../helpers/legacyFiles.ts";
import { importLegacyFile } from "../../src/import/importer.ts";
import { canonical, parseExact, type JsonObject } from "../../src/import/json.ts";
import { count, fingerprint, runCli, tempFile } from "./_support.ts";

let db: TestDatabase;
let edgeFile: string;
test.before(async () => {
  db = await createTestDatabase();
  edgeFile = tempFile("edge.json");
  await generateLegacyFile(edgeFile, { users: 40, projects: 60, aiJobs: 150, sessions: 70, seed: 7, edgeCases: true });
});
test.after.always(async () => {
  await db?.drop();
});

/** The input as export must give it back: the documented exception, a plain refresh token, hashed. */
function expected(file: string): Record<string, JsonObject[]> {
  const data = parseExact(fs.readFileSync(file, "utf8")) as unknown as Record<string, JsonObject[]>;
  for (const session of data.sessions ?? []) {
    const out = Object.create(null);
    for (const key of Object.keys(session)) {
      if (key === "refresh_token") out.refresh_token_sha256 = sha256(session[key] as string);
      else out[key] = session[key];
    }
    Object.assign(session, out);
    delete session.refresh_token;
  }
  return data;
}

test.serial("import then export reproduces every record exactly (unicode, long strings, nulls, exact numbers, timestamps, ids)", async (t) => {
  const result = await importLegacyFile({ databaseUrl: db.ownerUrl, file: edgeFile, quiet: true });
  t.true(result.ok, result.error ?? result.problems.join("\n"));
  t.is(result.counts.users.inserted, 40);
  t.is(result.counts.ai_jobs.inserted, 150);

  const out = tempFile("export.json");
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  await exportLegacyFile(client, out);
  await client.end();

  const want = expected(edgeFile);
  const got = parseExact(fs.readFileSync(out, "utf8")) as unknown as Record<string, JsonObject[]>;
  t.deepEqual(Object.keys(got), ["users", "projects", "ai_jobs", "sessions"]);
  for (const entity of Object.keys(want)) {
    t.is(got[entity]!.length, want[entity]!.length, entity);
    want[entity]!.forEach((record, i) => t.is(canonical(got[entity]![i]!), canonical(record), `${entity}[${i}]`));
  }
  // The edge cases are really in there (a guard against a generator that lost them).
  const text = fs.readFileSync(out, "utf8");
  t.true(text.includes("12345678901234567890.123456789"));
  t.true(text.includes("6.02214076E+23"));
  t.true(text.includes("🚀"));
  t.true(text.includes("長".repeat(20_000)));
});

test.serial("importing the same file twice adds nothing and reports every record unchanged", async (t) => {
  const before = await fingerprint(db.ownerPool);
  const result = await importLegacyFile({ databaseUrl: db.ownerUrl, file: edgeFile, quiet: true });
  t.true(result.ok, result.error);
  for (const entity of ["users", "projects", "ai_jobs", "sessions"] as const) {
    t.is(result.counts[entity].inserted, 0);
    t.is(result.counts[entity].updated, 0);
    t.is(result.counts[entity].unchanged, result.counts[entity].read);
  }
  const after = await fingerprint(db.ownerPool);
  for (const table of ["app_public.users", "app_public.projects", "app_public.ai_jobs", "app_public.sessions", "app_private.legacy_ids"]) {
    t.is(after[table], before[table], table);
  }
  t.is(await count(db.ownerPool, "app_private.import_batches"), 2);
});

test.serial("a dry run through the CLI validates, merges and verifies, then writes nothing", async (t) => {
  const fresh = await createTestDatabase();
  t.teardown(() => fresh.drop());
  const file = tempFile("dry.json");
  await generateLegacyFile(file, { users: 5, projects: 5, aiJobs: 5, sessions: 5, seed: 99 });
  const before = await fingerprint(fresh.ownerPool);
  const run = await runCli("import", [file, "--dry-run"], fresh.ownerUrl);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stdout, /dry run: .*nothing written/);
  t.regex(run.stdout, /users\s+5\s+5\s+0\s+0/);
  t.deepEqual(await fingerprint(fresh.ownerPool), before);
});
