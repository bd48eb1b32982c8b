// process_upload killed halfway (issue 12): a worker process is SIGKILLed after it has stored
// part of a large upload, the operator frees the dead worker's job (graphile-worker's
// force_unlock_workers), a second worker runs it again, and the user reads every transaction of
// the file exactly once. Waits on the workers' log lines, never on the clock.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { register } from "../api/client.ts";
import { createTestDatabase } from "../helpers/database.ts";
import { startTestGateway } from "../helpers/gateway.ts";
import { spawnNode, type Spawned } from "../helpers/process.ts";

const WORKER = fileURLToPath(new URL("../../src/cli/worker.ts", import.meta.url));
// Enough rows for several batches of 2000, so that the kill lands mid-file.
const ROWS = 30_000;

test("a process_upload job killed halfway is run again from the start and stores each row once", async (t) => {
  const db = await createTestDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-uploads-io-"));
  const storageEnv = { UPLOADS_DIR: dir, UPLOAD_SIGNING_SECRET: "an-io-test-upload-signing-secret-of-32-bytes" };
  const gateway = await startTestGateway(db, { WORKER: "off", ...storageEnv });
  const workers: Spawned[] = [];
  const startWorker = async () => {
    const worker = spawnNode(WORKER, { DATABASE_URL: db.ownerUrl, NODE_ENV: "test", LOG_LEVEL: "debug", WORKER_CONCURRENCY: "1", ...storageEnv });
    workers.push(worker);
    await worker.waitForOutput(/"msg":"worker started"/);
    return worker;
  };
  t.teardown(async () => {
    for (const worker of workers) worker.child.kill("SIGKILL");
    await gateway.close();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const first = await startWorker();
  const user = await register(gateway.url);
  const lines = ["occurred_at,provider,model,cost,currency,external_id"];
  for (let i = 1; i <= ROWS; i++) lines.push(`2026-11-0${1 + (i % 9)}T12:00:00Z,openai,gpt-4o,0.00${i % 100},USD,call-${i}`);
  const body = Buffer.from(lines.join("\n"));
  const { createUpload } = await user.client.data(
    "mutation($size: Int!) { createUpload(input: {fileName: \"big.csv\", fileType: csv, fileSize: $size}) { uploadId presignedUpload { url headers { name value } } } }",
    { size: body.length },
  );
  const { uploadId, presignedUpload } = createUpload;
  const put = await fetch(presignedUpload.url, { method: "PUT", headers: { "content-type": "text/csv" }, body });
  t.is(put.status, 200);
  await user.client.data("mutation($id: UUID!) { completeUpload(input: {uploadId: $id}) { uploadId } }", { id: uploadId });

  await first.waitForOutput(/process_upload: 2000 rows stored/);
  first.child.kill("SIGKILL");
  await first.exited;
  const stored = async () => (await db.ownerPool.query("select count(*)::int as n from app_public.upload_transactions where upload_id = $1", [uploadId])).rows[0].n;
  t.is(await stored(), 0, "the killed run committed nothing");
  const read = "query($id: UUID!) { dataUpload(uploadId: $id) { status validRowCount transactions { totalCount } } }";
  t.like((await user.client.data(read, { id: uploadId })).dataUpload, { status: "processing", validRowCount: null });

  // What an operator does after a crash: release the dead worker's jobs instead of waiting hours.
  await db.ownerPool.query(
    "select graphile_worker.force_unlock_workers(array(select distinct locked_by from graphile_worker.jobs where locked_by is not null))",
  );
  const second = await startWorker();
  await second.waitForOutput(/process_upload: completed/, 120_000);
  t.deepEqual((await user.client.data(read, { id: uploadId })).dataUpload, { status: "completed", validRowCount: ROWS, transactions: { totalCount: ROWS } });
  t.is(await stored(), ROWS);
  const { rows } = await db.ownerPool.query("select count(distinct row_number)::int as n from app_public.upload_transactions where upload_id = $1", [uploadId]);
  t.is(rows[0].n, ROWS);
});
