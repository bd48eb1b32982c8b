// schema.graphql is committed so that reviewers see every change to the API. This fails when the
// migrations and plugins produce a different schema: run `npm run schema:export` and commit it.
import fs from "node:fs/promises";
import test from "ava";
import { loadConfig } from "../../src/config.ts";
import { printGraphQLSchema } from "../../src/graphql/schema.ts";
import { createLogger } from "../../src/logger.ts";
import { createTestDatabase } from "../helpers/database.ts";

test("the committed schema.graphql is what the migrations and plugins produce", async (t) => {
  const db = await createTestDatabase();
  try {
    const config = loadConfig({ NODE_ENV: "development" });
    const actual = await printGraphQLSchema(config.graphql, createLogger("silent"), db.authUrl);
    const committed = await fs.readFile(new URL("../../schema.graphql", import.meta.url), "utf8");
    t.is(actual, committed, "schema.graphql is out of date: run `npm run schema:export` and commit the result");
  } finally {
    await db.drop();
  }
});
