// HTTP benchmarking done right (issue 15): each server under test runs in its own process
// (bench/server.ts), the load comes from another (bench/loadgen.ts, autocannon), servers take
// turns in alternating rounds, only 2xx answers count and any other answer fails the run, and
// every measurement reports, besides requests per second and p50/p99 latency, the database time
// and the Node CPU time each request cost: the CPU time of the server process and of the
// PostgreSQL backends serving its connections, read from /proc before and after the round.
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TICKS_PER_S = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

export type ServerKind = "gateway" | "gateway-redis" | "plain-anonymous" | "plain-auth" | "gateway-cluster";

export interface Server {
  kind: ServerKind;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface ServerEnv {
  ownerUrl: string;
  authUrl: string;
  jwtSecret: string;
  poolMax: number;
  /** With a directory, the server process writes a V8 CPU profile there when it stops (--cpu-prof). */
}

export async function startServer(kind: ServerKind, env: ServerEnv): Promise<Server> {
  if (kind === "gateway-cluster") return startCluster(env);
  // BENCH_CPU_PROFILE_DIR: each server writes a V8 CPU profile there when it stops (bench/cpuProfile.ts reads it).
  const profile = process.env.BENCH_CPU_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${path.join(process.env.BENCH_CPU_PROFILE_DIR, kind)}`] : [];
  const child = spawn(process.execPath, [...profile, path.join(HERE, "server.ts")], {
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      GRAPHILE_ENV: "production",
      NODE_ENV: "production",
      BENCH_SERVER: kind,
      BENCH_OWNER_URL: env.ownerUrl,
      BENCH_AUTH_URL: env.authUrl,
      BENCH_JWT_SECRET: env.jwtSecret,
      BENCH_POOL_MAX: String(env.poolMax),
    },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk;
      const match = /listening (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`${kind} server exited (${code}) before listening: ${output.slice(-2000)}`)));
  });
  return { kind, url, pid: child.pid!, stop: () => stop(child) };
}

/**
 * `npm start` as deployed: src/main.ts with the default WEB_CONCURRENCY (one gateway process per
 * CPU), NODE_ENV=production, no worker. Its CPU time is the primary's and all its children's.
 */
async function startCluster(env: ServerEnv): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(HERE, "..", "src", "main.ts")], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      DATABASE_URL: env.ownerUrl,
      AUTH_DATABASE_URL: env.authUrl,
      JWT_SECRET: env.jwtSecret,
      PORT: String(port),
      WORKER: "off",
      DB_POOL_MAX: String(env.poolMax),
      LOG_LEVEL: "info",
    },
  });
  const expected = Number(process.env.WEB_CONCURRENCY ?? os.availableParallelism());
  await new Promise<void>((resolve, reject) => {
    let listening = 0;
    let tail = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      // Read everything (request logs included) so that the pipe never fills and blocks it.
      tail = (tail + chunk).slice(-4000);
      listening += chunk.toString().split('"msg":"gateway listening"').length - 1;
      if (listening >= expected) resolve();
    });
    child.stderr!.on("data", (chunk: Buffer) => (tail = (tail + chunk).slice(-4000)));
    child.once("exit", (code) => reject(new Error(`npm start exited (${code}) before listening: ${tail}`)));
  });
  return { kind: "gateway-cluster", url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stop(child) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export interface Request {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The status every answer must have: 200, or e.g. 401 for a rejection scenario. */
  expect: number;
  /** Connection i sends perConnection[i mod n]'s headers (over `headers`) and body (bench/loadgen.ts). */
  perConnection?: { headers?: Record<string, string>; body?: string }[];
  /** Replaced by a fresh UUID in every request's body, by the load generator. */
  freshToken?: string;
  /** Every answer's body must contain it (e.g. `"approved"`): a GraphQL error in a 200 voids the run. */
  expectInBody?: string;
}

interface LoadFigures {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  unexpected: number;
  unexpectedSample?: string;
  cpuMs: number;
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
}

/** Runs autocannon in its own process against `url` + request, `connections` at a time. */
export function load(url: string, request: Request, connections: number, seconds: number): Promise<LoadFigures> {
  const { method, headers, body, perConnection, freshToken, expectInBody } = request;
  const options = { url: `${url}${request.path}`, connections, seconds, method, headers, body, perConnection, freshToken, expectInBody };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(HERE, "loadgen.ts"), JSON.stringify(options)], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(output) as LoadFigures) : reject(new Error(`load generator exited with ${code}`))));
  });
}

/** utime + stime of a process and its child processes (a cluster's gateways), in ms. */
export function processTreeCpuMs(pid: number): number {
  let children: number[] = [];
  try {
    children = fs.readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(" ").filter(Boolean).map(Number),
    );
  } catch {
    // the process has ended
  }
  return processCpuMs(pid) + children.reduce((sum, child) => sum + processTreeCpuMs(child), 0);
}

/** utime + stime of a process, in ms. */
export function processCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return 0; // the process has ended: its time is lost with it (a connection closed mid-round)
  }
}

/** CPU time (ms) of every PostgreSQL backend connected to `database`, except `observer`'s own, by pid. */
async function backendCpu(observer: pg.Pool, database: string): Promise<Map<number, number>> {
  const { rows } = await observer.query<{ pid: number }>("select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'", [database]);
  return new Map(rows.map(({ pid }) => [pid, processCpuMs(pid)]));
}

export interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Database (backend CPU) time per request, ms. */
  dbMs: number;
  /** Node CPU time of the server process per request, ms. */
  nodeMs: number;
  /** CPU time of the load generator per request, ms: what the load itself takes of the machine. */
  loadgenMs: number;
}

/**
 * One round against one server: `seconds` of load at `connections`; fails on any answer that is
 * not a 2xx. The server's backends are found by database name, so nothing else may use it.
 */
export async function measure(server: Server, request: Request, connections: number, seconds: number, observer: pg.Pool, database: string): Promise<Measurement> {
  const nodeBefore = processTreeCpuMs(server.pid);
  const dbBefore = await backendCpu(observer, database);
  const figures = await load(server.url, request, connections, seconds);
  const nodeAfter = processTreeCpuMs(server.pid);
  const dbAfter = await backendCpu(observer, database);
  const requests = figures.statuses[String(request.expect)] ?? 0;
  const total = Object.values(figures.statuses).reduce((sum, n) => sum + n, 0);
  if (requests !== total || figures.errors || figures.timeouts || figures.unexpected || requests === 0) {
    throw new Error(
      `${server.kind}: answers ${JSON.stringify(figures.statuses)} (expected only ${request.expect}), ${figures.errors} errors, ${figures.timeouts} timeouts, ` +
        `${figures.unexpected} without ${JSON.stringify(request.expectInBody)}${figures.unexpectedSample ? ` (e.g. ${figures.unexpectedSample})` : ""}: the run is void`,
    );
  }
  let dbMs = 0;
  for (const [pid, after] of dbAfter) dbMs += after - (dbBefore.get(pid) ?? 0);
  return { rps: requests / seconds, p50: figures.p50, p99: figures.p99, requests, dbMs: dbMs / requests, nodeMs: (nodeAfter - nodeBefore) / requests, loadgenMs: figures.cpuMs / requests };
}

/** Medians of several rounds' figures, field by field. */
export function median(rounds: Measurement[]): Measurement {
  const mid = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    rps: mid(rounds.map((r) => r.rps)),
    p50: mid(rounds.map((r) => r.p50)),
    p99: mid(rounds.map((r) => r.p99)),
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    dbMs: mid(rounds.map((r) => r.dbMs)),
    nodeMs: mid(rounds.map((r) => r.nodeMs)),
    loadgenMs: mid(rounds.map((r) => r.loadgenMs)),
  };
}
