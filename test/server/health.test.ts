import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";

const ctx = useTestGateway();

test.serial("GET /healthz answers 200 while the process lives", async (t) => {
  const response = await fetch(`${ctx.gateway.url}/healthz`);
  t.is(response.status, 200);
  t.deepEqual(await response.json(), { status: "ok" });
});

test.serial("GET /readyz answers 200 when the database answers and every migration and definition file is applied", async (t) => {
  const response = await fetch(`${ctx.gateway.url}/readyz`);
  t.is(response.status, 200);
  t.deepEqual(await response.json(), { status: "ready", schema: "current" });
});

test.serial("GET /readyz answers 503 naming the pending migration when one is not applied", async (t) => {
  const { rows } = await ctx.db.ownerPool.query<{ name: string }>("delete from public.migrations where id = (select max(id) from public.migrations) returning name");
  try {
    const response = await fetch(`${ctx.gateway.url}/readyz`);
    t.is(response.status, 503);
    const body = (await response.json()) as { reason: string; pending: string[] };
    t.is(body.reason, "migrations pending");
    t.deepEqual(body.pending, [rows[0]!.name]);
  } finally {
    await ctx.db.ownerPool.query("insert into public.migrations (name, run_on) values ($1, now())", [rows[0]!.name]);
  }
  t.is((await fetch(`${ctx.gateway.url}/readyz`)).status, 200);
});

test.serial("GET /readyz answers 503 naming a definition file of sql/ not applied in its current version", async (t) => {
  const file = "3200-submit-request.sql";
  const { rows } = await ctx.db.ownerPool.query<{ sha256: string }>(
    "update public.sql_definitions d set sha256 = repeat('0', 64) from public.sql_definitions old where d.file = old.file and d.file = $1 returning old.sha256",
    [file],
  );
  try {
    const response = await fetch(`${ctx.gateway.url}/readyz`);
    t.is(response.status, 503);
    t.deepEqual(await response.json(), {
      status: "unavailable",
      reason: "migrations pending",
      schema: "behind",
      pending: [],
      pendingDefinitions: [`sql/${file}`],
    });
  } finally {
    await ctx.db.ownerPool.query("update public.sql_definitions set sha256 = $2 where file = $1", [file, rows[0]!.sha256]);
  }
  t.is((await fetch(`${ctx.gateway.url}/readyz`)).status, 200);
});

test.serial("GET /readyz answers 200 saying the database is ahead when a newer release has migrated it (rolling deploys)", async (t) => {
  const newer = "/20991231000000-from-a-newer-release";
  await ctx.db.ownerPool.query("insert into public.migrations (name, run_on) values ($1, now())", [newer]);
  try {
    const response = await fetch(`${ctx.gateway.url}/readyz`);
    t.is(response.status, 200);
    t.deepEqual(await response.json(), { status: "ready", schema: "ahead", unknownMigrations: [newer], pending: [] });
  } finally {
    await ctx.db.ownerPool.query("delete from public.migrations where name = $1", [newer]);
  }
});

test.serial("unknown paths get a JSON 404 and security headers", async (t) => {
  const response = await fetch(`${ctx.gateway.url}/nope`);
  t.is(response.status, 404);
  t.deepEqual(await response.json(), { errors: [{ message: "Not found", extensions: { code: "NOT_FOUND" } }] });
  t.truthy(response.headers.get("content-security-policy"));
  t.is(response.headers.get("x-content-type-options"), "nosniff");
  t.is(response.headers.get("x-powered-by"), null);
});

test.serial("Ruru is served at /graphiql outside production with a CSP that allows its scripts", async (t) => {
  const response = await fetch(`${ctx.gateway.url}/graphiql`);
  t.is(response.status, 200);
  t.regex(await response.text(), /ruru/i);
  t.regex(response.headers.get("content-security-policy") ?? "", /script-src 'self' 'unsafe-inline'/);
});
