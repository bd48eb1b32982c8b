// `npm run bench -- import`: the legacy import of 1,000,000 generated records into a fresh
// database, next to a raw COPY of the same rows (same columns and types, plain tables without
// indexes, constraints or triggers) in the same run; reported as records/s, peak memory of the
// import process and the ratio import time / raw COPY time. Record the figures in bench/README.md.
//
// BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the server; the
// benchmark creates and drops its own database. BENCH_IMPORT_RECORDS overrides the count.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { runMigrations } from "../src/database/migrate.ts";
import { PROJECT_ROOT } from "../src/projectRoot.ts";
import { copyIn } from "../src/import/copy.ts";
import { generateLegacyFile, splitRecords } from "../test/helpers/legacyFiles.ts";

const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const total = Number(process.env.BENCH_IMPORT_RECORDS ?? 1_000_000);
const TABLES = ["users", "projects", "ai_jobs", "sessions"];

const dbName = `spendgate_bench_import_${randomBytes(4).toString("hex")}`;
const dbUrl = (() => {
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  return url.toString();
})();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-bench-import-"));

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs the import CLI; returns wall seconds, its --stats line and the peak RSS seen in /proc. */
function runImport(file: string): Promise<{ seconds: number; stats: { maxRssKiB: number }; vmHwmKiB: number; phases: string[] }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "src/cli/import.ts"), file, "--stats"], {
      env: { ...process.env, DATABASE_URL: dbUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    let vmHwmKiB = 0;
    const poll = setInterval(() => {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (match) vmHwmKiB = Math.max(vmHwmKiB, Number(match[1]));
      } catch {
        // not on Linux, or the process just ended
      }
    }, 200);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      process.stderr.write(d);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(poll);
      const seconds = (performance.now() - started) / 1000;
      const stats = /^stats (.*)$/m.exec(stderr);
      if (code !== 0 || !stats) return reject(new Error(`import failed (exit ${code}):\n${stdout}\n${stderr.slice(-2000)}`));
      process.stdout.write(stdout);
      const phases = stderr.split("\n").filter((line) => /^import: (read |merging|verifying|committed)/.test(line));
      resolve({ seconds, stats: JSON.parse(stats[1]!), vmHwmKiB, phases });
    });
  });
}

/** COPY ... TO STDOUT into a file, with the plain pg client. */
function copyOut(client: pg.Client, sql: string, file: string): Promise<void> {
  const fd = fs.openSync(file, "w");
  return new Promise((resolve, reject) => {
    let error: Error | null = null;
    client.query({
      text: sql,
      submit(connection: { query(text: string): void }) {
        connection.query(sql);
      },
      handleCopyData(msg: { chunk: Buffer }) {
        fs.writeSync(fd, msg.chunk);
      },
      handleCommandComplete() {},
      handleRowDescription() {},
      handleDataRow() {},
      handleError(err: Error) {
        error = err;
        fs.closeSync(fd);
        reject(err);
      },
      handleReadyForQuery() {
        if (error) return;
        fs.closeSync(fd);
        resolve();
      },
    } as never);
  });
}

/** Raw COPY of a TSV file into a table, in 4 MB chunks on line boundaries (as the importer stages). */
async function copyFile(client: pg.Client, table: string, file: string): Promise<void> {
  let carry = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 << 20 })) {
    const data = Buffer.concat([carry, chunk as Buffer]);
    const end = data.lastIndexOf(10) + 1;
    carry = data.subarray(end);
    if (end > 0) await copyIn(client, `copy ${table} from stdin`, data.subarray(0, end));
  }
  if (carry.length) await copyIn(client, `copy ${table} from stdin`, carry);
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

try {
  await admin(`create database ${dbName}`);
  await runMigrations(dbUrl, "up");
  const file = path.join(dir, "unified_data.json");
  let t = performance.now();
  const counts = splitRecords(total);
  await generateLegacyFile(file, { ...counts, seed: 2026 });
  const fileBytes = fs.statSync(file).size;
  console.log(`generated ${total.toLocaleString("en")} records (${JSON.stringify(counts)}), ${mb(fileBytes)} MB, in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const result = await runImport(file);

  // Baseline: the same rows, as the import left them, copied out and COPYed into plain tables.
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  for (const table of TABLES) {
    await copyOut(client, `copy app_public.${table} to stdout`, path.join(dir, `${table}.tsv`));
    await client.query(`create table public.raw_${table} (like app_public.${table})`);
  }
  t = performance.now();
  await client.query("begin");
  for (const table of TABLES) await copyFile(client, `public.raw_${table}`, path.join(dir, `${table}.tsv`));
  await client.query("commit");
  const copySeconds = (performance.now() - t) / 1000;
  const { rows } = await client.query(`select ${TABLES.map((x) => `(select count(*) from public.raw_${x})`).join(" + ")} n`);
  await client.end();
  if (Number(rows[0].n) !== total) throw new Error(`raw COPY loaded ${rows[0].n} rows, expected ${total}`);

  const rate = total / result.seconds;
  const copyRate = total / copySeconds;
  console.log("\n--- import benchmark ---");
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${mb(os.totalmem())} MB RAM, node ${process.version}`);
  console.log(`date: ${new Date().toISOString().slice(0, 10)}`);
  console.log(`file: ${total.toLocaleString("en")} records, ${mb(fileBytes)} MB`);
  for (const phase of result.phases) console.log(`  ${phase}`);
  console.log(`import (npm run import, one transaction, verified): ${result.seconds.toFixed(1)} s, ${Math.round(rate).toLocaleString("en")} records/s`);
  console.log(`peak RSS of the import process: ${(result.stats.maxRssKiB / 1024).toFixed(0)} MB (getrusage), ${(result.vmHwmKiB / 1024).toFixed(0)} MB (VmHWM polled)`);
  console.log(`raw COPY of the same rows into plain tables: ${copySeconds.toFixed(1)} s, ${Math.round(copyRate).toLocaleString("en")} rows/s`);
  console.log(`ratio import / raw COPY: ${(result.seconds / copySeconds).toFixed(1)}x`);
} finally {
  await admin(`drop database if exists ${dbName} with (force)`).catch((error) => console.error(`could not drop ${dbName}: ${error.message}`));
  fs.rmSync(dir, { recursive: true, force: true });
}
