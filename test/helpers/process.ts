// Runs src/main.ts, a CLI or an npm script as a child process, as a user would, and waits on what
// it prints (events), never on the clock.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PROJECT_ROOT } from "../../src/projectRoot.ts";

export const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output so far once it matches; rejects if the process exits first or after timeoutMs. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  /** Its own process group (and session), so that a test can signal the group as a terminal does. */
  detached?: boolean;
}

/** A command with a small, explicit environment (PATH and HOME from ours), in the project folder. */
export function spawnProcess(command: string, args: string[], env: Record<string, string>, options: SpawnOptions = {}): Spawned {
  const child = spawn(command, args, {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  let output = "";
  const onOutput = (chunk: Buffer) => {
    output += chunk;
    child.emit("output");
  };
  child.stdout!.on("data", onOutput);
  child.stderr!.on("data", onOutput);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const waitForOutput = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(output)) return;
        done();
        resolve(output);
      };
      const onExit = () => {
        done();
        reject(new Error(`exited before printing ${pattern}:\n${output}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`did not print ${pattern} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        child.off("output", check);
        child.off("exit", onExit);
      };
      child.on("output", check);
      child.on("exit", onExit);
      check();
    });
  return { child, output: () => output, waitForOutput, exited };
}

export function spawnNode(script: string, env: Record<string, string>, args: string[] = [], options: SpawnOptions = {}): Spawned {
  return spawnProcess(process.execPath, [script, ...args], env, options);
}

/** The gateway's log line once it serves (needs LOG_LEVEL=info or lower). */
export const LISTENING = /"msg":"gateway listening"/;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** JSON log lines at warn level or above (pino: 40 warn, 50 error, 60 fatal). */
export function warningsIn(output: string): string[] {
  return output.split("\n").filter((line) => {
    try {
      return (JSON.parse(line) as { level?: number }).level! >= 40;
    } catch {
      return false;
    }
  });
}

/**
 * After a test, also a failed one: what is left of a process started with `detached` (its whole
 * group) and of the embedded PostgreSQL in `dataDir` goes, and so does the folder.
 */
export async function cleanUp(run: Spawned, dataDir: string): Promise<void> {
  try {
    process.kill(-run.child.pid!, "SIGKILL"); // the group outlives its leader (e.g. an orphaned gateway)
  } catch {
    // already gone
  }
  const postmaster = await fs.readFile(path.join(dataDir, "pg", "postmaster.pid"), "utf8").catch(() => undefined);
  if (postmaster) {
    try {
      process.kill(Number(postmaster.split("\n")[0]), "SIGQUIT"); // immediate shutdown
    } catch {
      // already gone
    }
  }
  await fs.rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
}
