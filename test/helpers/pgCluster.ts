// A throw-away PostgreSQL cluster of a given installed version (the machine's PostgreSQL 15 by
// default), for process-level tests that need a server of their own: backups against a real
// PostgreSQL 15 whatever TEST_DATABASE_URL points at, WAL archiving for point-in-time recovery.
// Trust authentication on 127.0.0.1 only. As root, it runs as the `postgres` OS user.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { postgresUserIds } from "../../src/database/embedded.ts";
import { freePort } from "./process.ts";

const run = promisify(execFile);
export const PG15_BIN = "/usr/lib/postgresql/15/bin";

export interface TestCluster {
  /** Folder holding the data directory (`data`) and anything a test puts beside it. */
  root: string;
  dataDir: string;
  port: number;
  url(database?: string): string;
  start(dataDir?: string): Promise<void>;
  stop(): Promise<void>;
  /** Runs a program of this PostgreSQL version as the cluster's OS user. */
  program(name: string, args: string[]): Promise<string>;
  /** Stops the server and removes everything. */
  destroy(): Promise<void>;
}

/** `settings`: postgresql.conf lines, given the cluster's root folder (e.g. for a WAL archive beside it). */
export async function createTestCluster(settings: (root: string) => Record<string, string> = () => ({}), binDir = PG15_BIN): Promise<TestCluster> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-cluster-"));
  await fs.chmod(root, 0o777); // the cluster's OS user writes beside the data directory (WAL archive, restores)
  const ids = process.getuid?.() === 0 ? await postgresUserIds() : {};
  const program = async (name: string, args: string[]) => (await run(path.join(binDir, name), args, { ...ids, cwd: root })).stdout;
  const dataDir = path.join(root, "data");
  await program("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"]);
  const conf = { listen_addresses: "'127.0.0.1'", unix_socket_directories: "''", fsync: "off", ...settings(root) };
  await fs.appendFile(path.join(dataDir, "postgresql.conf"), Object.entries(conf).map(([k, v]) => `${k} = ${v}\n`).join(""));
  const port = await freePort();
  let running: string | undefined;
  const cluster: TestCluster = {
    root,
    dataDir,
    port,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start(dir = dataDir) {
      await program("pg_ctl", ["start", "-w", "-t", "60", "-D", dir, "-l", path.join(dir, "server.log"), "-o", `-p ${port}`]);
      running = dir;
    },
    async stop() {
      if (!running) return;
      await program("pg_ctl", ["stop", "-w", "-m", "fast", "-D", running]);
      running = undefined;
    },
    program,
    async destroy() {
      await cluster.stop().catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
