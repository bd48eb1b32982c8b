// The PostgreSQL client programs a backup needs (pg_dump, pg_restore), of the server's major
// version: pg_dump refuses a newer server, and an older pg_restore cannot read a newer dump.
// Looked up in PG_BIN_DIR, then where Debian and the PGDG packages install them, then on PATH.
import { execFile, spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

export type ClientProgram = "pg_dump" | "pg_restore";

/** The server's major version (15 for 15.8). */
export async function serverMajor(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
    return Math.floor(Number(rows[0]!.v) / 10000);
  } finally {
    await client.end();
  }
}

export async function findProgram(name: ClientProgram, major: number, binDir: string | undefined): Promise<string> {
  const candidates = [
    ...(binDir ? [path.join(binDir, name)] : []),
    `/usr/lib/postgresql/${major}/bin/${name}`,
    `/usr/pgsql-${major}/bin/${name}`,
    name, // on PATH
  ];
  for (const candidate of candidates) {
    if ((await programMajor(candidate)) === major) return candidate;
  }
  throw new Error(
    `no ${name} of PostgreSQL ${major} found (tried ${candidates.join(", ")}): install the PostgreSQL ${major} client programs ` +
      `(Debian: postgresql-client-${major}) or set PG_BIN_DIR to their folder`,
  );
}

async function programMajor(file: string): Promise<number | undefined> {
  if (file.includes("/")) {
    try {
      await fs.access(file, fs.constants.X_OK);
    } catch {
      return undefined;
    }
  }
  try {
    const { stdout } = await promisify(execFile)(file, ["--version"]);
    const match = /\(PostgreSQL\) (\d+)/.exec(stdout);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a client program against `url`: the password goes through PGPASSWORD, never on the
 * command line (where `ps` would show it); the rest of the URL is libpq's --dbname.
 */
export function runProgram(file: string, url: string, args: string[]): Promise<void> {
  const target = new URL(url);
  const password = decodeURIComponent(target.password);
  target.password = "";
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args, `--dbname=${target.toString()}`], {
      env: { ...process.env, ...(password && { PGPASSWORD: password }) },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(file)} failed (exit ${code}): ${stderr.trim().split("\n").slice(-5).join(" | ")}`)),
    );
  });
}
