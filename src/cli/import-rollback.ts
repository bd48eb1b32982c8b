// npm run import:rollback -- BATCH   (batch id or name, as printed by npm run import)
// Removes the rows the batch created and restores those it updated, in one transaction; refuses
// when later changes depend on them (docs/legacy-import.md).
import { withOwnerDatabase } from "./withDatabase.ts";
import { rollbackBatch } from "../import/rollback.ts";

const batch = process.argv[2];
if (!batch || process.argv.length > 3) {
  console.error("usage: npm run import:rollback -- BATCH (batch id or name)");
  process.exit(2);
}
const result = await withOwnerDatabase((databaseUrl) => rollbackBatch(databaseUrl, batch));
if (!result.ok) {
  console.error(`rollback failed: ${result.error}`);
  process.exit(1);
}
console.log(`batch ${result.batchId} (${result.batchName}) rolled back: deleted ${JSON.stringify(result.deleted)}, restored ${JSON.stringify(result.restored)}`);
