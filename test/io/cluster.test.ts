// `npm start` on every core (src/cluster.ts): WEB_CONCURRENCY gateway processes share one port,
// graphile-worker runs once, the admin port sums the metrics of all processes and answers
// readiness, a gateway process that dies is replaced, and SIGTERM drains every process and exits 0.
import test from "ava";
import { createTestDatabase } from "../helpers/database.ts";
import { freePort, MAIN, spawnNode } from "../helpers/process.ts";

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "g"))?.length ?? 0;

test("two gateway processes and one worker serve one port; metrics are summed; a dead process is replaced; SIGTERM stops all", async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const [port, adminPort] = [await freePort(), await freePort()];
  const run = spawnNode(MAIN, {
    DATABASE_URL: db.ownerUrl,
    AUTH_DATABASE_URL: db.authUrl,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    WEB_CONCURRENCY: "2",
    WORKER: "inline",
    NODE_ENV: "test",
    JWT_SECRET: "cluster-test-secret-that-is-long-enough-0123456789",
    LOG_LEVEL: "info",
  });
  t.teardown(() => void run.child.kill("SIGKILL"));
  await run.waitForOutput(/"msg":"gateway listening"[\s\S]*"msg":"gateway listening"/);
  await run.waitForOutput(/"msg":"worker started"/);

  const pids = new Set<number>();
  for (let i = 0; i < 10; i++) {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ version }" }) });
    t.is(response.status, 200);
  }
  for (const match of run.output().matchAll(/"pid":(\d+)[^\n]*"msg":"gateway listening"/g)) pids.add(Number(match[1]));
  t.is(pids.size, 2, "two gateway processes");
  t.is(count(run.output(), /"msg":"worker started"/), 1, "the worker runs once");

  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  t.regex(metrics, /^spendgate_http_requests_total\{method="POST",route="\/graphql",status="200"\} 10$/m, "requests of both processes, summed");
  t.is((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status, 200);

  // A gateway process that dies is replaced, and the port keeps serving meanwhile.
  const [victim] = pids;
  process.kill(victim!, "SIGKILL");
  await run.waitForOutput(/"msg":"cluster process died: replacing it"[\s\S]*"msg":"gateway listening"/);
  const after = await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ version }" }) });
  t.is(after.status, 200);

  run.child.kill("SIGTERM");
  t.deepEqual(await run.exited, { code: 0, signal: null }, run.output());
  t.is(count(run.output(), /"msg":"stopped"/), 3, "both gateway processes and the primary stopped cleanly");
});
