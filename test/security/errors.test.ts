// Error masking and production hardening: an unexpected database error reaches clients as an
// error id only (production) or message plus error id (development), never as SQL; introspection
// and Ruru are closed in production.
import test from "ava";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { TEST_JWT_SECRET, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { createUser } from "../helpers/fixtures.ts";
import { leaks } from "./harness.ts";

// The helper signs test tokens with TEST_JWT_SECRET (52 characters), so production uses it too.
const PRODUCTION = { NODE_ENV: "production", JWT_SECRET: TEST_JWT_SECRET };
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** A database whose projects.name column is renamed after the gateway built its schema. */
async function brokenProjects(env: Record<string, string>): Promise<{ db: TestDatabase; gateway: TestGateway; userId: string }> {
  const db = await createTestDatabase();
  const userId = await createUser(db.ownerPool, { email: "errors@example.com" });
  await db.ownerPool.query("insert into app_public.projects (user_id, name) values ($1, 'p')", [userId]);
  const gateway = await startTestGateway(db, env);
  const before = await gateway.graphql("{ projects { nodes { name } } }", {}, await gateway.as(userId));
  if (JSON.stringify(before.body) !== JSON.stringify({ data: { projects: { nodes: [{ name: "p" }] } } })) {
    await gateway.close();
    await db.drop();
    throw new Error(`control query failed: ${JSON.stringify(before.body)}`);
  }
  await db.ownerPool.query("alter table app_public.projects rename column name to name_x");
  return { db, gateway, userId };
}

test("production: an unexpected database error is masked to an error id with code INTERNAL and no SQL", async (t) => {
  const { db, gateway, userId } = await brokenProjects(PRODUCTION);
  try {
    const response = await gateway.graphql("{ projects { nodes { name } } }", {}, await gateway.as(userId));
    t.is(response.status, 200);
    t.deepEqual(response.body.data, { projects: null });
    t.is(response.body.errors.length, 1);
    const [error] = response.body.errors;
    t.regex(error.message, new RegExp(`^An unexpected error occurred \\(error id ${UUID}\\)\\.$`));
    t.is(error.extensions.code, "INTERNAL");
    t.is(error.extensions.errorId, /\(error id ([^)]+)\)/.exec(error.message)![1]);
    t.deepEqual(Object.keys(error.extensions).sort(), ["code", "errorId"]);
    t.notRegex(JSON.stringify([error.message, error.extensions]), /name_x|does not exist|column|app_public/);
    t.deepEqual(leaks(response.body), []);
  } finally {
    await gateway.close();
    await db.drop();
  }
});

test("development: the same error shows the database message plus an error id, still without SQL", async (t) => {
  const { db, gateway, userId } = await brokenProjects({});
  try {
    const response = await gateway.graphql("{ projects { nodes { name } } }", {}, await gateway.as(userId));
    t.is(response.status, 200);
    t.deepEqual(response.body.data, { projects: null });
    t.is(response.body.errors.length, 1);
    const [error] = response.body.errors;
    t.regex(error.message, new RegExp(`^column \\S+ does not exist \\(error id ${UUID}\\)$`));
    t.is(error.extensions.code, "INTERNAL");
    t.is(error.extensions.errorId, /\(error id ([^)]+)\)/.exec(error.message)![1]);
    t.deepEqual(leaks(response.body), []);
  } finally {
    await gateway.close();
    await db.drop();
  }
});

test("production: introspection is refused and /graphiql is not served", async (t) => {
  const db = await createTestDatabase();
  const gateway = await startTestGateway(db, PRODUCTION);
  try {
    for (const query of ["{ __schema { types { name } } }", '{ __type(name: "User") { fields { name } } }']) {
      const response = await gateway.graphql(query);
      t.is(response.body.data, undefined, query);
      t.true(response.body.errors.length > 0);
      t.true(response.body.errors.every((e: any) => /introspection/i.test(e.message)), JSON.stringify(response.body.errors));
    }
    // __typename is not introspection and stays allowed.
    t.deepEqual((await gateway.graphql("{ __typename }")).body, { data: { __typename: "Query" } });
    const ruru = await fetch(`${gateway.url}/graphiql`, { headers: { accept: "text/html" } });
    t.is(ruru.status, 404);
    t.false((await ruru.text()).toLowerCase().includes("ruru"));
  } finally {
    await gateway.close();
    await db.drop();
  }
});

test("development: introspection works and /graphiql serves Ruru (the controls of the production checks)", async (t) => {
  const db = await createTestDatabase();
  const gateway = await startTestGateway(db);
  try {
    const response = await gateway.graphql('{ __type(name: "User") { name } }');
    t.deepEqual(response.body, { data: { __type: { name: "User" } } });
    const ruru = await fetch(`${gateway.url}/graphiql`, { headers: { accept: "text/html" } });
    t.is(ruru.status, 200);
    t.regex(await ruru.text(), /ruru/i);
  } finally {
    await gateway.close();
    await db.drop();
  }
});
