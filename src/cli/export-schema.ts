// `npm run schema:export`: writes schema.graphql from the migrated database (embedded by default),
// so that a change to the API shows up in review. test/graphql/schema-drift.test.ts fails when
// the committed file differs from what the migrations and plugins produce.
import fs from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "../projectRoot.ts";
import { printGraphQLSchema } from "../graphql/schema.ts";
import { withDatabase } from "./withDatabase.ts";

await withDatabase(
  async ({ config, log, database }) => {
    const file = path.join(PROJECT_ROOT, "schema.graphql");
    await fs.writeFile(file, await printGraphQLSchema(config.graphql, log, database.authUrl));
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  },
  { sections: ["graphql"] },
);
