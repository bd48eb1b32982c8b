// Helpers shared by the benchmarks that run their own database on BENCH_DATABASE_URL and compare
// the gateway with pgbench: URLs, one-off statements on the server, latency summaries, pgbench.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { processCpuMs } from "./harness.ts";

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
  /** Database (backend CPU) time per transaction, ms, when measured. */
  dbMs?: number;
  /** CPU time of the pgbench process per transaction, ms, when measured. */
  clientMs?: number;
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
 * in `dir` (emptied of earlier logs first); tps is pgbench's own figure. With an `observer` pool
 * on the database, also the CPU time of pgbench's backends per transaction (dbMs), as the
 * harness measures the gateway's, and pgbench's own CPU time (clientMs): read from /proc every
 * 25 ms while they live (what they do after the last reading is missed: every 100 ms missed 7 to
 * 18% on a busy machine, every 25 ms within 4% of the postmaster's reaped-children CPU), and
 * the backends' connection start-up is counted.
 */
export async function pgbench(database: string, script: string, concurrency: number, dir: string, user?: string, observer?: pg.Pool): Promise<Result> {
  const file = path.join(dir, "script.sql");
  fs.writeFileSync(file, script);
  for (const old of fs.readdirSync(dir).filter((f) => f.startsWith("log"))) fs.rmSync(path.join(dir, old));
  const child = spawn("pgbench", ["-n", "-c", String(concurrency), "-j", String(Math.min(concurrency, 2)), "-T", String(SECONDS),
    "-f", file, "-l", `--log-prefix=${path.join(dir, "log")}`, urlFor(database, user)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const cpu = observer ? await sampleBackends(observer, database, concurrency, child.pid!, exited) : { db: NaN, client: NaN };
  if ((await exited) !== 0) throw new Error(`pgbench failed: ${stderr}`);
  const latencies = fs.readdirSync(dir).filter((f) => f.startsWith("log"))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n"))
    .filter(Boolean)
    .map((line) => Number(line.split(" ")[2]) / 1000);
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  return { ...summarise(latencies, SECONDS), tps, dbMs: cpu.db / latencies.length, clientMs: cpu.client / latencies.length };
}

/** Total CPU time (ms) of `database`'s pgbench backends and of pgbench itself, last read while they lived, until `done`. */
async function sampleBackends(observer: pg.Pool, database: string, clients: number, pgbenchPid: number, done: Promise<unknown>): Promise<{ db: number; client: number }> {
  let finished = false;
  void done.then(() => (finished = true));
  const cpu = new Map<number, number>();
  let client = 0;
  while (!finished) {
    client = Math.max(client, processCpuMs(pgbenchPid));
    if (cpu.size < clients) {
      const { rows } = await observer.query<{ pid: number }>("select pid from pg_stat_activity where datname = $1 and application_name = 'pgbench'", [database]);
      for (const { pid } of rows) if (!cpu.has(pid)) cpu.set(pid, 0);
    }
    for (const pid of cpu.keys()) {
      const ms = processCpuMs(pid);
      if (ms > 0) cpu.set(pid, ms);
    }
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 25))]);
  }
  return { db: [...cpu.values()].reduce((sum, ms) => sum + ms, 0), client };
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
