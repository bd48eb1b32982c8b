// `npm run bench -- uploads`: a 10 MB spend file through the whole upload flow (issue 12, seed
// 003: "File Upload Time < 10 seconds (10MB file)"), next to a bare COPY of the same rows.
// The gateway runs in this process with the embedded default storage (a local directory) and
// its inline worker; the client registers, calls createUpload, PUTs the file to the pre-signed
// URL, calls completeUpload and waits for the process_upload job, all through HTTP. The
// baseline COPYs the same CSV bytes into a plain table of the same columns (no indexes,
// constraints, triggers or validation). CSV and JSON are both measured (JSON has fewer rows in
// 10 MB); the ratios compare each with the COPY of the CSV file.
//
// BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the server; the
// benchmark creates and drops its own database. BENCH_UPLOAD_MB overrides the size (default 10).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { register } from "../test/api/client.ts";
import { loadConfig } from "../src/config.ts";
import { runMigrations } from "../src/database/migrate.ts";
import { copyIn } from "../src/import/copy.ts";
import { createLogger } from "../src/logger.ts";
import { startGateway } from "../src/server/gateway.ts";

const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const targetBytes = Number(process.env.BENCH_UPLOAD_MB ?? 10) * 1024 * 1024 - 1024;
const SEED_TARGET_S = 10;
const COLUMNS = "occurred_at,provider,model,cost,currency,external_id,project,agent,input_tokens,output_tokens";

const dbName = `spendgate_bench_uploads_${randomBytes(4).toString("hex")}`;
const dbUrl = Object.assign(new URL(serverUrl), { pathname: `/${dbName}` }).toString();
const authUrl = Object.assign(new URL(dbUrl), { username: "spendgate_authenticator", password: "" }).toString();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-bench-uploads-"));

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(sql).finally(() => client.end());
}

/** The i-th transaction, as a provider export would have it. */
function transaction(i: number): Record<string, string> {
  const [provider, model] = ([["openai", "gpt-4o"], ["anthropic", "claude-sonnet"], ["mistral", "large"]] as const)[i % 3]!;
  const day = String(1 + (i % 28)).padStart(2, "0");
  return {
    occurred_at: `2026-10-${day}T${String(i % 24).padStart(2, "0")}:15:00Z`, provider, model, cost: `0.${String(i % 99_999_999).padStart(8, "0")}`,
    currency: "USD", external_id: `call-${i}`, project: "research", agent: "bot", input_tokens: String(1000 + (i % 5000)), output_tokens: String(i % 800),
  };
}

/** Records until the file is just under the target size: returns the file and its row count. */
function fileOf(open: string, close: string, separator: string, record: (i: number) => string): { body: Buffer; rows: number } {
  const parts: string[] = [];
  let bytes = open.length + close.length;
  for (let i = 0; ; i++) {
    const part = record(i);
    if (bytes + part.length + separator.length > targetBytes) break;
    parts.push(part);
    bytes += part.length + separator.length;
  }
  return { body: Buffer.from(open + parts.join(separator) + close), rows: parts.length };
}

const numbers = (row: Record<string, string>) => ({ ...row, cost: Number(row.cost), input_tokens: Number(row.input_tokens), output_tokens: Number(row.output_tokens) });

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

await onServer(`create database ${dbName}`);
try {
  await runMigrations(dbUrl, "up");
  const csv = fileOf(`${COLUMNS}\n`, "", "\n", (i) => Object.values(transaction(i)).join(","));
  const json = fileOf("[", "]", ",", (i) => JSON.stringify(numbers(transaction(i))));
  const config = loadConfig({ NODE_ENV: "production", PORT: "0", JWT_SECRET: randomBytes(32).toString("hex"), WORKER: "inline", UPLOADS_DIR: dir, DATA_DIR: dir, LOG_LEVEL: "warn" });
  const gateway = await startGateway(config, createLogger("warn"), { ownerUrl: dbUrl, authUrl, authenticatorPassword: undefined, embedded: undefined });
  const user = await register(gateway.url);
  const baseRss = process.memoryUsage().rss;

  /** createUpload -> PUT -> completeUpload -> the job's end: seconds of each step. */
  async function uploadOnce(fileType: "csv" | "json", { body, rows }: { body: Buffer; rows: number }) {
    const started = performance.now();
    const { createUpload } = await user.client.data(
      "mutation($n: String!, $t: FileType!, $s: Int!) { createUpload(input: {fileName: $n, fileType: $t, fileSize: $s}) { uploadId presignedUpload { url headers { name value } } } }",
      { n: `bench.${fileType}`, t: fileType, s: body.length },
    );
    const put = await fetch(createUpload.presignedUpload.url, { method: "PUT", headers: { "content-type": createUpload.presignedUpload.headers[0].value }, body });
    if (put.status !== 200) throw new Error(`PUT answered ${put.status}`);
    const uploaded = performance.now();
    const done = new Promise<void>((resolve) => {
      const listener = ({ job }: { job: { task_identifier: string; payload: unknown } }) => {
        if (job.task_identifier === "process_upload" && (job.payload as { uploadId: string }).uploadId === createUpload.uploadId) {
          gateway.worker!.runner.events.off("job:complete", listener);
          resolve();
        }
      };
      gateway.worker!.runner.events.on("job:complete", listener);
    });
    await user.client.data("mutation($id: UUID!) { completeUpload(input: {uploadId: $id}) { uploadId } }", { id: createUpload.uploadId });
    await done;
    const finished = performance.now();
    const { dataUpload } = await user.client.data("query($id: UUID!) { dataUpload(uploadId: $id) { status validRowCount errorCount validationErrors } }", { id: createUpload.uploadId });
    if (dataUpload.status !== "completed" || dataUpload.validRowCount !== rows) throw new Error(`unexpected result ${JSON.stringify(dataUpload)}`);
    return { total: (finished - started) / 1000, upload: (uploaded - started) / 1000, processing: (finished - uploaded) / 1000 };
  }

  const csvRun = await uploadOnce("csv", csv);
  const jsonRun = await uploadOnce("json", json);
  await gateway.close();

  // Baseline: the same CSV bytes, COPYed into a plain table of the same column types.
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  await client.query(`create table public.raw_transactions (occurred_at timestamptz, provider text, model text, cost numeric(20,8), currency text,
    external_id text, project text, agent text, input_tokens bigint, output_tokens bigint)`);
  const copyStarted = performance.now();
  await copyIn(client, `copy public.raw_transactions (${COLUMNS}) from stdin with (format csv, header true)`, csv.body);
  const copySeconds = (performance.now() - copyStarted) / 1000;
  await client.end();
  clearInterval(sampler);

  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const line = (name: string, run: typeof csvRun, file: { body: Buffer; rows: number }) =>
    `| ${name} | ${mb(file.body.length)} | ${file.rows.toLocaleString("en")} | ${run.upload.toFixed(2)} | ${run.processing.toFixed(2)} | ${run.total.toFixed(2)} | ${(run.total / copySeconds).toFixed(1)} | ${run.total < SEED_TARGET_S ? "yes" : "NO"} |`;
  console.log("\n--- uploads benchmark ---");
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, node ${process.version}`);
  console.log(`date: ${new Date().toISOString()}`);
  console.log(`| file | MB | rows | createUpload + PUT s | complete + processing s | total s | vs bare COPY | < ${SEED_TARGET_S} s (seed 003) |`);
  console.log("|---|---|---|---|---|---|---|---|");
  console.log(line("CSV", csvRun, csv));
  console.log(line("JSON", jsonRun, json));
  console.log(`| bare COPY of the CSV's rows | ${mb(csv.body.length)} | ${csv.rows.toLocaleString("en")} | | | ${copySeconds.toFixed(2)} | 1.0 | |`);
  console.log(`peak RSS of the process (gateway, worker, client and both files in memory): ${mb(peakRss)} MB; ${mb(baseRss)} MB before the uploads`);
} finally {
  clearInterval(sampler);
  await onServer(`drop database if exists ${dbName} with (force)`);
  fs.rmSync(dir, { recursive: true, force: true });
}
