// npm run import -- FILE [--map MAP.json] [--dry-run] [--batch-name NAME] [--on-invalid stop|skip] [--report-limit N] [--stats]
// Imports a legacy unified_data.json (docs/legacy-import.md). Exit code 0 on success, 1 when the
// import was refused or failed (nothing written), 2 on a usage error (an invalid map included).
import { parseArgs } from "node:util";
import { ENTITY_NAMES } from "../import/entities.ts";
import { withOwnerDatabase } from "./withDatabase.ts";
import { importLegacyFile } from "../import/importer.ts";

const USAGE = "usage: npm run import -- FILE [--map MAP.json] [--dry-run] [--batch-name NAME] [--on-invalid stop|skip] [--report-limit N] [--stats]";
let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      map: { type: "string" },
      "dry-run": { type: "boolean" },
      "batch-name": { type: "string" },
      "on-invalid": { type: "string", default: "stop" },
      "report-limit": { type: "string", default: "1000" },
      stats: { type: "boolean" },
    },
  });
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = args;
const onInvalid = values["on-invalid"];
if (positionals.length !== 1 || (onInvalid !== "stop" && onInvalid !== "skip") || !/^\d+$/.test(values["report-limit"]!)) {
  console.error(USAGE);
  process.exit(2);
}

const started = Date.now();
const result = await withOwnerDatabase((databaseUrl) =>
  importLegacyFile({
    databaseUrl,
    file: positionals[0]!,
    map: values.map,
    dryRun: values["dry-run"],
    batchName: values["batch-name"],
    onInvalid,
    reportLimit: Number(values["report-limit"]),
  }),
);

if (result.invalidMap) {
  console.error(result.error);
  process.exit(2);
}
for (const line of result.problems) console.error(line);
if (result.problemCount > result.problems.length) console.error(`... and ${result.problemCount - result.problems.length} more problem(s)`);
const rows = ENTITY_NAMES.map((e) => ({ table: e, ...result.counts[e] }));
console.log(["table", "read", "inserted", "updated", "unchanged", "skipped", "rejected"].map((h) => h.padStart(10)).join(""));
for (const row of rows) {
  console.log([row.table, row.read, row.inserted, row.updated, row.unchanged, row.skipped, row.rejected].map((v) => String(v).padStart(10)).join(""));
}
if (result.ok) {
  console.log(result.dryRun ? "dry run: everything validated, merged and verified, then rolled back; nothing written" : `batch ${result.batchId} (${result.batchName}) committed`);
} else {
  console.error(`import failed: ${result.error}`);
}
if (values.stats) {
  const records = rows.reduce((sum, row) => sum + row.read, 0);
  const seconds = (Date.now() - started) / 1000;
  // maxRSS is in kilobytes: the peak resident memory of this process.
  console.error(`stats ${JSON.stringify({ records, seconds, maxRssKiB: process.resourceUsage().maxRSS })}`);
}
process.exit(result.ok ? 0 : 1);
