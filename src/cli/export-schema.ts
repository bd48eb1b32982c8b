// `npm run schema:export`: writes schema.graphql from the migrated database (embedded by default),
// so that a change to the API shows up in review. test/graphql/schema-drift.test.ts fails when
// the committed file differs from what the migrations and plugins produce.
import fs from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "../config.ts";
import { openDatabase } from "../database/connect.ts";
import { PROJECT_ROOT } from "../database/migrate.ts";
import { prepareDatabase } from "../database/prepare.ts";
import { printGraphQLSchema } from "../graphql/schema.ts";
import { createLogger } from "../logger.ts";

const config = loadConfig();
const log = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
const database = await openDatabase(config, log);
try {
  await prepareDatabase(database, log);
  const file = path.join(PROJECT_ROOT, "schema.graphql");
  await fs.writeFile(file, await printGraphQLSchema(config, log, database.authUrl));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
} finally {
  await database.embedded?.stop();
}
