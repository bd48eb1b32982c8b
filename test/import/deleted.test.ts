// Deleted stays deleted: a legacy record with deleted_at is imported soft-deleted. Its user cannot
// log in or refresh a legacy session through HTTP, the API hides it (admins see it only when they
// ask for deleted rows), no audit entry is written, and export gives the record back as it came.
import test from "ava";
import fs from "node:fs";
import pg from "pg";
import { useTestGateway } from "../helpers/gateway.ts";
import { anonymous, bootstrapAdmin, login, type Account } from "../api/client.ts";
import { exportLegacyFile } from "../../src/import/export.ts";
import { sha256 } from "../../src/import/fields.ts";
import { importLegacyFile } from "../../src/import/importer.ts";
import { canonical, parseExact, type JsonObject } from "../../src/import/json.ts";
import { tempFile } from "./_support.ts";

const PASSWORD = "legacy password 1";
const EXPIRES = "2099-01-01T00:00:00Z";
let admin: Account;
let data: Record<string, JsonObject[]>;
let file: string;

const ctx = useTestGateway({}, async ({ db, gateway }) => {
  admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
  // The old system's bcrypt hash, which login accepts.
  const { rows: [{ hash }] } = await db.ownerPool.query("select public.crypt($1, public.gen_salt('bf', 4)) hash", [PASSWORD]);
  data = {
    users: [
      { id: 1, email: "live@example.com", password_hash: hash, created_at: "2023-01-01 10:00:00" },
      { id: 2, email: "gone@example.com", password_hash: hash, deleted_at: "2024-05-01 12:00:00" },
      // A deleted user's email is free: this one reuses the live user's.
      { id: 3, email: "live@example.com", password_hash: hash, deleted_at: 1714564800 },
    ],
    projects: [{ id: "p1", user_id: 2, name: "Old", deleted_at: "2024-05-01T12:00:00Z" }],
    sessions: [
      { id: "s1", user_id: 1, refresh_token: "live-token", expires_at: EXPIRES },
      { id: "s2", user_id: 2, refresh_token: "gone-user-token", expires_at: EXPIRES },
      { id: "s3", user_id: 1, refresh_token: "deleted-session-token", expires_at: EXPIRES, revoked_at: null, deleted_at: "2024-06-01T00:00:00Z" },
    ],
  } as unknown as Record<string, JsonObject[]>;
  file = tempFile("deleted.json", JSON.stringify(data));
  const result = await importLegacyFile({ databaseUrl: db.ownerUrl, file, quiet: true });
  if (!result.ok) throw new Error(`${result.error}\n${result.problems.join("\n")}`);
});

const LOGIN = "mutation($email: String!, $password: String!) { login(input: {email: $email, password: $password}) { userId } }";
const REFRESH = "mutation($token: String!) { refreshSession(input: {refreshToken: $token}) { accessToken } }";

test("a deleted legacy user cannot log in; the live one with the same password can", async (t) => {
  const live = await login(ctx.gateway.url, "live@example.com", PASSWORD);
  t.truthy(live.accessToken);
  const client = anonymous(ctx.gateway.url);
  const unknown = await client.errors(LOGIN, { email: "nobody@example.com", password: PASSWORD });
  // Exactly what an unknown email gets: nothing tells that the account ever existed.
  t.deepEqual(await client.errors(LOGIN, { email: "gone@example.com", password: PASSWORD }), unknown);
  t.is(unknown[0]![0], "SGAUT");
});

test("legacy sessions of a deleted user, and deleted sessions, are revoked: refreshing them fails", async (t) => {
  const client = anonymous(ctx.gateway.url);
  const refreshed = await client.post(REFRESH, { token: "live-token" });
  t.truthy(refreshed.body.data?.refreshSession?.accessToken, JSON.stringify(refreshed.body));
  for (const token of ["gone-user-token", "deleted-session-token"]) {
    const response = await client.post(REFRESH, { token });
    t.falsy(response.body.data?.refreshSession, token);
    t.truthy(response.body.errors?.length, token);
  }
  const { rows } = await ctx.db.ownerPool.query(
    "select s.legacy->>'id' id, s.revoked_at = coalesce(s.deleted_at, u.deleted_at) revoked_as_deleted from app_public.sessions s join app_public.users u using (user_id) where s.legacy->>'id' in ('s2', 's3') order by 1",
  );
  t.deepEqual(rows, [{ id: "s2", revoked_as_deleted: true }, { id: "s3", revoked_as_deleted: true }]);
});

test("the API hides deleted legacy rows; an admin sees them only when asking for deleted rows", async (t) => {
  const query = "{ users { nodes { email deletedAt } } projects { nodes { name deletedAt } } }";
  const others = (nodes: { email: string; deletedAt: string | null }[]) =>
    nodes.filter((u) => u.email !== admin.email).sort((a, b) => `${a.email} ${a.deletedAt ?? ""}`.localeCompare(`${b.email} ${b.deletedAt ?? ""}`));
  const visible = await admin.client.data(query);
  t.deepEqual(others(visible.users.nodes), [{ email: "live@example.com", deletedAt: null }]);
  t.deepEqual(visible.projects.nodes, []);
  const all = await admin.client.with({ "x-include-deleted": "true" }).data(query);
  t.deepEqual(others(all.users.nodes), [
    { email: "gone@example.com", deletedAt: "2024-05-01T12:00:00.000000+00:00" },
    { email: "live@example.com", deletedAt: null },
    { email: "live@example.com", deletedAt: "2024-05-01T12:00:00.000000+00:00" },
  ]);
  t.deepEqual(all.projects.nodes, [{ name: "Old", deletedAt: "2024-05-01T12:00:00.000000+00:00" }]);
});

// Serial, so before the concurrent tests: refreshing s1 (above) revokes it, and the export must see the file as imported.
test.serial("importing deleted records writes no audit entry, and export gives them back with their deleted_at", async (t) => {
  const { rows: [log] } = await ctx.db.ownerPool.query("select count(*)::int n from app_private.soft_delete_log");
  t.is(log.n, 0);
  const out = tempFile("export.json");
  const client = new pg.Client({ connectionString: ctx.db.ownerUrl });
  await client.connect();
  try {
    await exportLegacyFile(client, out);
  } finally {
    await client.end();
  }
  const got = parseExact(fs.readFileSync(out, "utf8")) as unknown as Record<string, JsonObject[]>;
  const want = structuredClone(data);
  for (const session of want.sessions!) {
    session.refresh_token_sha256 = sha256(session.refresh_token as string);
    delete session.refresh_token;
  }
  for (const entity of ["users", "projects", "sessions"]) {
    t.deepEqual(got[entity]!.map(canonical), want[entity]!.map((record) => canonical(parseExact(JSON.stringify(record)))), entity);
  }
});

test.serial("re-importing is a no-op; a file that would delete or restore a stored row is refused", async (t) => {
  const again = await importLegacyFile({ databaseUrl: ctx.db.ownerUrl, file, quiet: true });
  t.true(again.ok, again.error);
  t.is(again.counts.sessions.unchanged, 3);
  t.is(again.counts.users.unchanged, 3);

  const changed = structuredClone(data);
  delete changed.users![1]!.deleted_at;
  changed.users![0]!.deleted_at = "2025-01-01T00:00:00Z" as never;
  const refused = await importLegacyFile({ databaseUrl: ctx.db.ownerUrl, file: tempFile("changed.json", JSON.stringify(changed)), quiet: true });
  t.false(refused.ok);
  t.deepEqual(refused.problems, [
    "users[0].deleted_at: differs from the stored row's deleted_at; delete or restore the stored row through the API",
    "users[1].deleted_at: differs from the stored row's deleted_at; delete or restore the stored row through the API",
  ]);
});
