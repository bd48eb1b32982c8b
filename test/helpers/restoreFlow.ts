// The round trip both backup tests walk through, as an operator would: a gateway serves, clients
// write through the API, `npm run db:backup` runs while it serves, the gateway stops, the
// database is lost, `npm run db:restore` brings it back, a new gateway serves the same rows.
import type { ExecutionContext } from "ava";
import { createApiKey, register, withApiKey, type Account } from "../api/client.ts";
import { freePort, LISTENING, MAIN, spawnNode, spawnProcess, type Spawned } from "./process.ts";
import { tableChecksums } from "./tableChecksums.ts";

export interface Deployment {
  env: Record<string, string>;
  /** The application database as a superuser, for checksums. */
  checksumUrl(): Promise<string>;
  /** Deletes the database (the loss being recovered from). */
  lose(): Promise<void>;
  /** Arguments after FILE for `npm run db:restore -- FILE ...`. */
  restoreArgs: string[];
}

export async function startGateway(t: ExecutionContext, env: Record<string, string>): Promise<{ base: string; process: Spawned }> {
  const port = await freePort();
  const gateway = spawnNode(MAIN, { ...env, PORT: String(port), LOG_LEVEL: "info" }, [], { detached: true });
  t.teardown(() => {
    try {
      process.kill(-gateway.child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  });
  await gateway.waitForOutput(LISTENING);
  return { base: `http://127.0.0.1:${port}`, process: gateway };
}

async function stop(gateway: Spawned): Promise<void> {
  gateway.child.kill("SIGTERM");
  await gateway.exited;
}

export async function npm(t: ExecutionContext, args: string[], env: Record<string, string>): Promise<string> {
  const run = spawnProcess("npm", ["run", "-s", ...args], env);
  t.deepEqual(await run.exited, { code: 0, signal: null }, run.output());
  return run.output();
}

export async function backupRestoreRoundTrip(t: ExecutionContext, deployment: Deployment): Promise<void> {
  const first = await startGateway(t, deployment.env);
  const owner: Account = await register(first.base);
  await register(first.base);
  const { createProject } = await owner.client.data('mutation { createProject(input: {project: {name: "kept through a restore"}}) { project { projectId } } }');
  const key = await createApiKey(owner);
  const before = await tableChecksums(await deployment.checksumUrl());
  t.true(Number(before["app_public.projects"]!.split(":")[0]) >= 1, JSON.stringify(before));

  const backedUp = await npm(t, ["db:backup"], deployment.env); // online, while the gateway serves
  const file = /^backup +(\S+)$/m.exec(backedUp)![1]!;
  t.regex(backedUp, /sha256 [0-9a-f]{64}/);
  await stop(first.process);

  await deployment.lose();
  const restored = await npm(t, ["db:restore", "--", file, ...deployment.restoreArgs], deployment.env);
  t.regex(restored, /^verified /m);
  t.regex(restored, /^restored /m);

  const second = await startGateway(t, deployment.env);
  t.deepEqual(await tableChecksums(await deployment.checksumUrl()), before, "every table holds the same rows");
  const { project } = await withApiKey(second.base, key.apiKey).data("query($id: UUID!) { project(projectId: $id) { name } }", { id: createProject.project.projectId });
  t.deepEqual(project, { name: "kept through a restore" }, "the API key and the project came back");
  await stop(second.process);
}
