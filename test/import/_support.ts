// Shared by the import tests: temp files, a fingerprint of every table the importer writes (to
// prove "exactly as before"), and running the CLIs as child processes.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { PROJECT_ROOT } from "../../src/projectRoot.ts";

export function tempFile(name: string, content?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-import-"));
  const file = path.join(dir, name);
  if (content !== undefined) fs.writeFileSync(file, content);
  return file;
}

const TABLES = [
  ["app_public.users", "user_id"],
  ["app_public.projects", "project_id"],
  ["app_public.ai_jobs", "job_id"],
  ["app_public.sessions", "session_id"],
  ["app_private.legacy_ids", "entity, legacy_id"],
  ["app_private.import_row_versions", "batch_id, entity, row_id"],
  ["app_private.import_batches", "batch_id"],
] as const;

/** Row count and an md5 over every row's full text, per table. */
export async function fingerprint(pool: pg.Pool): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [table, order] of TABLES) {
    const { rows } = await pool.query(`select count(*) n, md5(coalesce(string_agg(t::text, '|' order by ${order}), '')) h from ${table} t`);
    out[table] = `${rows[0].n}:${rows[0].h}`;
  }
  return out;
}

export async function count(pool: pg.Pool, table: string): Promise<number> {
  const { rows } = await pool.query(`select count(*)::int n from ${table}`);
  return rows[0].n;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs src/cli/<name>.ts with Node 22 (this process's binary) against the given database. */
export function runCli(name: string, args: string[], databaseUrl: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "src/cli", `${name}.ts`), ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: "test" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
