// A file written by another system, with its own field names and without Spendgate-only fields:
// `npm run import -- FILE --map MAP.json` renames and fills in defaults, keeps the map on the
// batch, and `npm run export-legacy` gives the file back under its own names, without the
// defaults: the round trip is lossless.
import test from "ava";
import fs from "node:fs";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { sha256 } from "../../src/import/fields.ts";
import { importLegacyFile } from "../../src/import/importer.ts";
import { canonical, parseExact, type JsonObject } from "../../src/import/json.ts";
import { loadMap, MapError } from "../../src/import/map.ts";
import { readSchema } from "../../src/import/catalog.ts";
import pg from "pg";
import { runCli, tempFile } from "./_support.ts";

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.drop();
});

const HASH = sha256("legacy token");
const LEGACY = {
  users: [
    { id: 1, mail: "ada@example.com", signup: "2023-04-01 09:30:00", status: "gold" },
    // Its role is the old system's, not one of Spendgate's: moved out of the way by the map.
    { id: 2, mail: "grace@example.com", role: "staff" },
  ],
  projects: [{ id: "p1", owner: 1, name: "Engine" }],
  ai_jobs: [
    { id: 10, user_id: 1, project_id: "p1", model: "gpt-4", status: "completed", cost: "0.0125" },
    { id: 11, user_id: 2, model: "claude", provider: "anthropic" },
    // Says the default explicitly: it stays in the record on export.
    { id: 12, user_id: 2, provider: "openai" },
  ],
  sessions: [{ id: "s1", user_id: 2, token_hash: HASH, expires: 1893456000 }],
};
const MAP = {
  users: { rename: { mail: "email", signup: "created_at", role: "old_role" }, defaults: { tier: "pro" } },
  projects: { rename: { owner: "user_id" } },
  ai_jobs: { rename: { model: "model_name" }, defaults: { provider: "openai" } },
  sessions: { rename: { token_hash: "refresh_token_sha256", expires: "expires_at" } },
};

/** Each array's records in canonical form (key order ignored, numbers by their exact text). */
const canonicalFile = (text: string) => {
  const parsed = parseExact(text) as unknown as Record<string, JsonObject[]>;
  return Object.fromEntries(Object.entries(parsed).map(([entity, list]) => [entity, list.map(canonical)]));
};

test.serial("without a map the legacy file is refused, naming what is missing; with it, it imports and exports back exactly", async (t) => {
  const file = tempFile("unified_data.json", JSON.stringify(LEGACY));
  const mapFile = tempFile("map.json", JSON.stringify(MAP));

  const refused = await runCli("import", [file], db.ownerUrl);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /^ai_jobs\[0\]\.provider: required \(a --map file can rename the file's own field to it, or give a default\)$/m);
  t.regex(refused.stderr, /^sessions\[0\]\.refresh_token_sha256: required/m);

  const run = await runCli("import", [file, "--map", mapFile, "--batch-name", "legacy"], db.ownerUrl);
  t.is(run.code, 0, run.stderr);
  const { rows: [batch] } = await db.ownerPool.query("select map from app_private.import_batches where name = 'legacy'");
  // As validated: both parts of every array's entry, empty when not given.
  t.deepEqual(batch.map, Object.fromEntries(Object.entries(MAP).map(([entity, spec]) => [entity, { defaults: {}, ...spec, rename: spec.rename }])));
  const { rows: jobs } = await db.ownerPool.query("select provider, model_name from app_public.ai_jobs order by legacy->>'id'");
  t.deepEqual(jobs, [
    { provider: "openai", model_name: "gpt-4" },
    { provider: "anthropic", model_name: "claude" },
    { provider: "openai", model_name: null },
  ]);
  const { rows: users } = await db.ownerPool.query("select email, tier, role, created_at from app_public.users order by email");
  t.deepEqual(users.map((u) => [u.email, u.tier, u.role, u.created_at.toISOString()]), [
    ["ada@example.com", "pro", "user", "2023-04-01T09:30:00.000Z"],
    ["grace@example.com", "pro", "user", users[1].created_at.toISOString()],
  ]);

  const out = tempFile("export.json");
  const exported = await runCli("export-legacy", [out], db.ownerUrl);
  t.is(exported.code, 0, exported.stderr);
  t.deepEqual(canonicalFile(fs.readFileSync(out, "utf8")), canonicalFile(JSON.stringify(LEGACY)));

  // The exported file is the legacy file again: importing it with the same map changes nothing.
  const again = await importLegacyFile({ databaseUrl: db.ownerUrl, file: out, map: mapFile, quiet: true });
  t.true(again.ok, again.error);
  for (const entity of ["users", "projects", "ai_jobs", "sessions"] as const) t.is(again.counts[entity].unchanged, again.counts[entity].read, entity);
});

test.serial("a plain token under another name is stored as its SHA-256 and exported as refresh_token_sha256 (the documented exception)", async (t) => {
  const file = tempFile("tokens.json", JSON.stringify({
    users: [{ id: "u9", email: "hopper@example.com" }],
    sessions: [{ id: "s9", user_id: "u9", token: "plain legacy token", expires_at: "2030-01-01" }],
  }));
  const map = tempFile("map.json", JSON.stringify({ sessions: { rename: { token: "refresh_token" } } }));
  const result = await importLegacyFile({ databaseUrl: db.ownerUrl, file, map, quiet: true });
  t.true(result.ok, result.error ?? result.problems.join("\n"));
  const { rows: [session] } = await db.ownerPool.query("select refresh_token from app_public.sessions where legacy->>'id' = 's9'");
  t.is(session.refresh_token, sha256("plain legacy token"));
  const out = tempFile("export.json");
  t.is((await runCli("export-legacy", [out, "--batch", result.batchId!], db.ownerUrl)).code, 0);
  const exported = parseExact(fs.readFileSync(out, "utf8")) as unknown as Record<string, JsonObject[]>;
  t.is(canonical(exported.sessions![0]!), canonical(parseExact(JSON.stringify({ id: "s9", user_id: "u9", refresh_token_sha256: sha256("plain legacy token"), expires_at: "2030-01-01" }))));
});

test.serial("a record holding both a renamed field and its new name is reported, naming its own field", async (t) => {
  const file = tempFile("clash.json", JSON.stringify({ users: [{ id: "c1", mail: "a@example.com", email: "b@example.com" }] }));
  const map = tempFile("map.json", JSON.stringify({ users: { rename: { mail: "email" } } }));
  const result = await importLegacyFile({ databaseUrl: db.ownerUrl, file, map, quiet: true });
  t.false(result.ok);
  t.deepEqual(result.problems, ["users[0].mail: the map renames it to email, which the record also has"]);
});

test("an invalid map is refused before anything is read, with every problem named", async (t) => {
  const mapFile = tempFile("bad-map.json", JSON.stringify({
    jobs: {},
    users: { rename: { mail: "emial", email_address: "email", contact: "email" }, defaults: { role: "owner", colour: "red" }, renames: {} },
    ai_jobs: { defaults: { provider: null, cost: "lots" } },
    sessions: [],
  }));
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  const schema = await readSchema(client).finally(() => client.end());
  const error = t.throws(() => loadMap(mapFile, schema), { instanceOf: MapError })!;
  t.deepEqual(error.problems, [
    "jobs: not an array of the file (expected users, projects, ai_jobs, sessions)",
    "users.renames: unknown (expected rename or defaults)",
    'users.rename.mail: "emial" is not a field of users (id, email, phone_number, password_hash, oauth_providers, role, consent_status, consent_version, account_status, tier, total_spending, available_balance, total_requests, last_request_at, created_at, deleted_at)',
    'users.rename.contact: "email_address" is renamed to "email" too',
    "users.defaults.role: not one of user, operator, admin",
    "users.defaults.colour: not a field of users that can have a default (email, phone_number, password_hash, oauth_providers, role, consent_status, consent_version, account_status, tier, total_spending, available_balance, total_requests, last_request_at, created_at, deleted_at)",
    "ai_jobs.defaults.provider: must not be null (a missing field is already null unless the column requires a value)",
    "ai_jobs.defaults.cost: not a decimal number",
    'sessions: expected an object {"rename": {...}, "defaults": {...}}, got array',
  ]);
  const file = tempFile("any.json", JSON.stringify({ users: [] }));
  const run = await runCli("import", [file, "--map", mapFile], db.ownerUrl);
  t.is(run.code, 2);
  t.regex(run.stderr, /bad-map\.json: 9 problem\(s\) in the map:\n {2}jobs: not an array/);
});

test.serial("the README's map example imports a file with the other system's field names", async (t) => {
  const readme = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const example = /^echo '([\s\S]*?)' > map\.json\nnpm run import -- unified_data\.json --map map\.json$/m.exec(readme);
  t.truthy(example, "the README shows the map and the command");
  const mapFile = tempFile("map.json", example![1]);
  const file = tempFile("unified_data.json", JSON.stringify({
    users: [{ id: 70, email: "readme@example.com" }],
    ai_jobs: [{ id: 71, user_id: 70, model: "gpt-4o" }],
    sessions: [{ id: 72, user_id: 70, token: "readme token", expires_at: "2030-01-01" }],
  }));
  const run = await runCli("import", [file, "--map", mapFile], db.ownerUrl);
  t.is(run.code, 0, run.stderr);
  const { rows } = await db.ownerPool.query("select provider, model_name from app_public.ai_jobs where legacy->>'id' = '71'");
  t.deepEqual(rows, [{ provider: "openai", model_name: "gpt-4o" }]);
});
