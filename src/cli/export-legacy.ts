// npm run export-legacy -- FILE [--batch BATCH]
// Writes the imported records back in the unified_data.json format (all of them, or those one
// batch created or updated), streaming, from one consistent snapshot.
import { parseArgs } from "node:util";
import pg from "pg";
import { withOwnerDatabase } from "./withDatabase.ts";
import { exportLegacyFile } from "../import/export.ts";

let args;
try {
  args = parseArgs({ allowPositionals: true, options: { batch: { type: "string" } } });
} catch {
  args = undefined;
}
if (!args || args.positionals.length !== 1) {
  console.error("usage: npm run export-legacy -- FILE [--batch BATCH]");
  process.exit(2);
}
const { values, positionals } = args;
try {
  const counts = await withOwnerDatabase(async (databaseUrl) => {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: "spendgate-export-legacy" });
    await client.connect();
    try {
      let batchId: string | undefined;
      if (values.batch) {
        
        const { rows } = await client.query(
          `select batch_id from app_private.import_batches where batch_id::text = lower($1) or name = $1`,
          [values.batch],
        );
        if (rows.length !== 1) throw new Error(`no import batch with id or name ${JSON.stringify(values.batch)}`);
        batchId = rows[0].batch_id;
      }
      return await exportLegacyFile(client, positionals[0]!, batchId);
    } finally {
      await client.end();
    }
  });
  console.log(`wrote ${positionals[0]}: ${JSON.stringify(counts)}`);
} catch (error) {
  console.error(`export failed: ${(error as Error).message}`);
  process.exit(1);
}
