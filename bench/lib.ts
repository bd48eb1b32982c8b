// Helpers shared by the benchmarks that run their own database on BENCH_DATABASE_URL and compare
// the gateway with pgbench: URLs, one-off statements on the server, latency summaries, pgbench.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";

export const SERVER = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
/** Duration of each measured step (HTTP load or pgbench run). */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

/** SERVER's URL with another database (and, when given, another user without password). */
export function urlFor(database: string, user?: string): string {
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  if (user) {
    url.username = user;
    url.password = "";
  }
  return url.toString();
}

/** Runs one statement on SERVER's own database (create / drop database). */
export async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface Result {
  tps: number;
  p50: number;
  p99: number;
  count: number;
  approved?: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function summarise(latenciesMs: number[], seconds: number): Result {
  const sorted = latenciesMs.slice().sort((a, b) => a - b);
  return { tps: sorted.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), count: sorted.length };
}

/**
 * Runs `script` with pgbench for SECONDS at `concurrency` clients against `database` (as `user`,
 * the server URL's user by default); latencies come from pgbench's per-transaction log, written
 * in `dir` (emptied of earlier logs first); tps is pgbench's own figure.
 */
export function pgbench(database: string, script: string, concurrency: number, dir: string, user?: string): Result {
  const file = path.join(dir, "script.sql");
  fs.writeFileSync(file, script);
  for (const old of fs.readdirSync(dir).filter((f) => f.startsWith("log"))) fs.rmSync(path.join(dir, old));
  const run = spawnSync("pgbench", ["-n", "-c", String(concurrency), "-j", String(Math.min(concurrency, 2)), "-T", String(SECONDS),
    "-f", file, "-l", `--log-prefix=${path.join(dir, "log")}`, urlFor(database, user)], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`pgbench failed: ${run.stderr}`);
  const latencies = fs.readdirSync(dir).filter((f) => f.startsWith("log"))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n"))
    .filter(Boolean)
    .map((line) => Number(line.split(" ")[2]) / 1000);
  const tps = Number(/tps = ([\d.]+)/.exec(run.stdout)?.[1] ?? NaN);
  return { ...summarise(latencies, SECONDS), tps };
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
