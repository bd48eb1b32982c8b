// `npm run bench [-- NAME...]`: runs every bench/*.bench.ts (or the named ones) one after the
// other, each in its own Node process, and prints their reports. Benchmarks compare against a
// baseline measured in the same run and report ratios; record results in bench/README.md.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = fs
  .readdirSync(dir)
  .filter((file) => file.endsWith(".bench.ts"))
  .filter((file) => wanted.length === 0 || wanted.some((name) => file.startsWith(name)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(", ")}`);
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(process.execPath, [path.join(dir, file)], { stdio: "inherit", env: { ...process.env, GRAPHILE_ENV: "production" } });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
