// `npm run db:seed`: loads the demo data set (sql/seeds/demo.sql: users of each role and tier,
// projects, budgets, policies, requests, payments) for trying the API in Ruru. Idempotent.
// Refused in production.
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { PROJECT_ROOT } from "../projectRoot.ts";
import { withDatabase } from "./withDatabase.ts";

await withDatabase(async ({ config, database }) => {
  if (config.isProduction) {
    console.error("spendgate: the demo data is never loaded in production (NODE_ENV=production)");
    process.exitCode = 1;
    return;
  }
  const client = new pg.Client({ connectionString: database.ownerUrl });
  await client.connect();
  try {
    await client.query(await fs.readFile(path.join(PROJECT_ROOT, "sql", "seeds", "demo.sql"), "utf8"));
  } finally {
    await client.end();
  }
  console.log("demo data loaded (logins are listed at the top of sql/seeds/demo.sql)");
});
