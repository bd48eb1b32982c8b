// The spend upload flow of issue 12 as a client meets it, through HTTP only, registered once per
// storage backend (local.test.ts: the gateway's own directory; s3.test.ts: an S3 server driven
// by the real SDK): create, PUT to the pre-signed URL, complete, wait for the job, read the
// result and the reconciliation; and each way it must refuse. Jobs are awaited through the inline
// worker's events, time is moved through the gateway's clock: nothing sleeps.
import test from "ava";
import type { TestDatabase } from "../helpers/database.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { anonymous, bootstrapAdmin, createApiKey, promote, register, type Account } from "../api/client.ts";
import { COMPLETE, CREATE, HEADER, READ, uploadClient } from "./client.ts";

export interface Backend {
  name: string;
  env: Record<string, string>;
  /** Whether the object of `key` is in the store (checked behind the gateway's back). */
  objectExists(key: string): Promise<boolean>;
}

export interface FlowContext {
  db: TestDatabase;
  gateway: TestGateway;
  admin: Account;
  operator: Account;
  /** Added to the gateway's clock: signs URLs in the past to produce expired ones. */
  clockOffsetMs: number;
}

export function registerUploadFlow(backend: Backend): FlowContext {
  const ctx = { clockOffsetMs: 0 } as FlowContext;
  test.before(async () => {
    const { createTestDatabase } = await import("../helpers/database.ts");
    ctx.db = await createTestDatabase();
    ctx.gateway = await startTestGateway(ctx.db, { WORKER: "inline", WORKER_CONCURRENCY: "2", ...backend.env }, {
      clock: () => new Date(Date.now() + ctx.clockOffsetMs),
    });
    ctx.admin = await bootstrapAdmin(ctx.gateway.url, ctx.db.ownerUrl);
    ctx.operator = await promote(ctx.admin, await register(ctx.gateway.url), "operator");
  });
  test.after.always(async () => {
    await ctx.gateway?.close();
    await ctx.db?.drop();
  });

  const { create, put, jobDone, uploadFile, settleRequests } = uploadClient(ctx);

  const today = new Date().toISOString().slice(0, 10);

  test.serial(`[${backend.name}] an expired upload URL is refused by the store, and the upload cannot be completed`, async (t) => {
    const user = await register(ctx.gateway.url);
    ctx.clockOffsetMs = -16 * 60_000; // signed 16 minutes ago: expired a minute ago
    const created = await create(user.client, "late.csv", "csv", 10);
    ctx.clockOffsetMs = 0;
    t.true(new Date(created.presignedUpload.expiresAt).getTime() < Date.now());
    const response = await put(created.presignedUpload, "0123456789");
    t.is(response.status, 403);
    t.regex(await response.text(), /expired/i);
    t.deepEqual(await user.client.errors(COMPLETE, { id: created.uploadId }), [["SGUPM", "the file has not been uploaded yet: PUT it to the pre-signed URL first"]]);
  });

  test(`[${backend.name}] a user uploads a CSV of spend and reads the stored transactions`, async (t) => {
    const user = await register(ctx.gateway.url);
    const csv = [
      HEADER,
      `${today}T10:00:00Z,OpenAI,gpt-4o,1.25,usd,ext-1,research,bot,1000,200`,
      `${today} 11:30,anthropic,claude-sonnet,0.5,USD,,,,,`,
    ].join("\n");
    const { created, completed, upload } = await uploadFile(user.client, "usage export (Nov).csv", "csv", csv);
    t.like(created.upload, { status: "pending", fileType: "csv", fileSize: String(Buffer.byteLength(csv)), s3Bucket: backend.env.S3_BUCKET ?? "local" });
    t.is(created.upload.s3Key, `uploads/${user.userId}/${created.uploadId}/usage_export_Nov_.csv`);
    t.is(created.presignedUpload.method, "PUT");
    t.deepEqual(created.presignedUpload.headers, [{ name: "content-type", value: "text/csv" }, { name: "content-length", value: String(Buffer.byteLength(csv)) }]);
    const expiresIn = new Date(created.presignedUpload.expiresAt).getTime() - Date.now();
    t.true(expiresIn > 14 * 60_000 && expiresIn <= 15 * 60_000, `expires in ${expiresIn} ms`);
    t.is(completed.upload.status, "processing");
    t.like(upload, { status: "completed", rowCount: 2, validRowCount: 2, errorCount: 0, validationErrors: [], failureReason: null });
    t.truthy(upload.processedAt);
    t.deepEqual(upload.transactions.nodes, [
      { rowNumber: 1, occurredAt: `${today}T10:00:00.000000+00:00`, provider: "openai", model: "gpt-4o", cost: "1.25000000", currency: "USD", externalId: "ext-1", project: "research", agent: "bot", inputTokens: "1000", outputTokens: "200" },
      { rowNumber: 2, occurredAt: `${today}T11:30:00.000000+00:00`, provider: "anthropic", model: "claude-sonnet", cost: "0.50000000", currency: "USD", externalId: null, project: null, agent: null, inputTokens: null, outputTokens: null },
    ]);
    t.true(await backend.objectExists(created.upload.s3Key));
  });

  test(`[${backend.name}] an agent with an API key uploads JSON; invalid rows are reported by row and field, the first 100 of them`, async (t) => {
    const owner = await register(ctx.gateway.url);
    const key = await createApiKey(owner);
    const good = { occurred_at: `${today}T08:00:00Z`, provider: "openai", model: "gpt-4o-mini", cost: 12345678901.12345678, currency: "EUR" };
    const rows = [good, { ...good, cost: "-1", currency: "euro" }, "not an object", { provider: "openai" }];
    for (let i = 0; i < 150; i++) rows.push({ ...good, occurred_at: "yesterday" });
    rows.push({ ...good, cost: 1.5e-7 }); // written 1.5e-7 by JSON.stringify: exponents are valid JSON
    // The exact digits of the cost are kept: numbers are read as text, never as floats.
    const json = JSON.stringify(rows).replace('"cost":12345678901.123457', '"cost":12345678901.12345678');
    const { upload } = await uploadFile(key.client, "ledger.json", "json", json);
    t.like(upload, { status: "completed", rowCount: 155, validRowCount: 2, errorCount: 157, failureReason: null });
    t.is(upload.validationErrors.length, 100);
    t.deepEqual(upload.validationErrors.slice(0, 9), [
      { row: 2, field: "cost", message: 'expected a number >= 0 with at most 8 decimals: "-1"' },
      { row: 2, field: "currency", message: 'expected a 3-letter ISO 4217 code: "euro"' },
      { row: 3, field: "", message: "expected an object with the transaction's fields" },
      { row: 4, field: "occurred_at", message: "required" },
      { row: 4, field: "model", message: "required" },
      { row: 4, field: "cost", message: "required" },
      { row: 4, field: "currency", message: "required" },
      { row: 5, field: "occurred_at", message: 'not an ISO 8601 date or time: "yesterday"' },
      { row: 6, field: "occurred_at", message: 'not an ISO 8601 date or time: "yesterday"' },
    ]);
    t.deepEqual(upload.transactions.nodes.map((n: any) => [n.rowNumber, n.cost, n.currency]), [[1, "12345678901.12345678", "EUR"], [155, "0.00000015", "EUR"]]);
  });

  test(`[${backend.name}] the store itself refuses a body longer than declared, or of another content type`, async (t) => {
    const user = await register(ctx.gateway.url);
    const created = await create(user.client, "small.csv", "csv", 20);
    const tooLong = await put(created.presignedUpload, "x".repeat(21));
    t.is(tooLong.status, 403);
    t.regex(await tooLong.text(), /SignatureDoesNotMatch/);
    const wrongType = await put(created.presignedUpload, "x".repeat(20), { "content-type": "application/octet-stream" });
    t.is(wrongType.status, 403);
    t.regex(await wrongType.text(), /SignatureDoesNotMatch/);
    t.false(await backend.objectExists(created.upload.s3Key));
    t.deepEqual((await user.client.errors(COMPLETE, { id: created.uploadId })).map(([code]) => code), ["SGUPM"]);
  });

  test(`[${backend.name}] createUpload validates the name, the type and the size (at most 10 MB)`, async (t) => {
    const user = await register(ctx.gateway.url);
    const errors = async (input: Record<string, unknown>) =>
      (await user.client.errors(CREATE, { input: { fileName: "a.csv", fileType: "csv", fileSize: 10, ...input } })).map(([code]) => code);
    t.deepEqual(await errors({ fileSize: 10 * 1024 * 1024 + 1 }), ["SGUPS"]);
    t.deepEqual(await errors({ fileSize: 0 }), ["SGUPS"]);
    t.deepEqual(await errors({ fileName: "a.json" }), ["SGUPN"]);
    t.deepEqual(await errors({ fileName: "../../etc/passwd.csv" }), ["SGUPN"]);
    t.deepEqual(await errors({ fileName: "" }), ["SGUPN"]);
    t.deepEqual(await errors({ fileType: "pdf" }), ["BAD_USER_INPUT"]);
    const max = await create(user.client, "big.csv", "csv", 10 * 1024 * 1024);
    t.is(max.upload.fileSize, String(10 * 1024 * 1024));
    t.deepEqual((await anonymous(ctx.gateway.url).errors(CREATE, { input: { fileName: "a.csv", fileType: "csv", fileSize: 10 } })).map(([code]) => code), ["SGANO"]);
  });

  test(`[${backend.name}] users see and complete only their own uploads; operators read all; completing twice changes nothing`, async (t) => {
    const alice = await register(ctx.gateway.url);
    const bob = await register(ctx.gateway.url);
    const { created } = await uploadFile(alice.client, "alice.csv", "csv", `${HEADER}\n${today}T01:00:00Z,openai,gpt-4o,1,USD,,,,,`);
    t.deepEqual((await bob.client.errors(COMPLETE, { id: created.uploadId })).map(([code]) => code), ["SGUNF"]);
    t.is((await bob.client.data(READ, { id: created.uploadId })).dataUpload, null);
    t.is((await bob.client.data("{ dataUploads { totalCount } uploadTransactions { totalCount } }")).dataUploads.totalCount, 0);
    const seen = (await ctx.operator.client.data(READ, { id: created.uploadId })).dataUpload;
    t.like(seen, { status: "completed", validRowCount: 1 });
    t.is(seen.transactions.totalCount, 1);
    const again = await alice.client.data(COMPLETE, { id: created.uploadId });
    t.is(again.completeUpload.upload.status, "completed");
    t.deepEqual((await bob.client.errors("mutation($id: UUID!) { deleteDataUpload(input: {uploadId: $id}) { dataUpload { uploadId } } }", { id: created.uploadId })).map(([code]) => code), ["SGNFD"]);
  });

  test(`[${backend.name}] a file that is not valid CSV or JSON fails with a clear reason and stores nothing`, async (t) => {
    const user = await register(ctx.gateway.url);
    const unclosed = await uploadFile(user.client, "broken.csv", "csv", `${HEADER}\n${today},openai,gpt-4o,1,USD\n${today},"openai,gpt,1,USD\n`);
    t.like(unclosed.upload, { status: "failed", validRowCount: 0 });
    t.regex(unclosed.upload.failureReason, /^not valid CSV: /);
    t.is(unclosed.upload.transactions.totalCount, 0);
    const header = await uploadFile(user.client, "noheader.csv", "csv", `when,provider,model\n${today},openai,gpt`);
    t.like(header.upload, { status: "failed", failureReason: "the CSV header lacks required column(s): occurred_at, cost, currency" });
    const badRows = await uploadFile(user.client, "bad-then-broken.csv", "csv", `${HEADER}\nyesterday,openai,gpt-4o,1,USD,,,,,\n${today},"openai`);
    t.like(badRows.upload, { status: "failed", validationErrors: [], errorCount: 0 });
    const object = await uploadFile(user.client, "object.json", "json", `{"occurred_at": "${today}"}`);
    t.like(object.upload, { status: "failed" });
    t.regex(object.upload.failureReason, /^not valid JSON \(expected an array of transaction objects\)/);
    const truncated = await uploadFile(user.client, "cut.json", "json", `[{"occurred_at": "${today}T00:00:00Z", "provider": "openai", "model": "m", "cost": 1, "currency": "USD"}, {"occ`);
    t.like(truncated.upload, { status: "failed", validRowCount: 0 });
    t.is(truncated.upload.transactions.totalCount, 0);
  });

  test(`[${backend.name}] reconciliation compares the file with the spend Spendgate settled, per provider, model and day, and per request`, async (t) => {
    const owner = await register(ctx.gateway.url);
    const settled = await settleRequests(owner, [
      { apiProvider: "openai", modelName: "gpt-4o", actualCost: "1.5" },
      { apiProvider: "openai", modelName: "gpt-4o", actualCost: "2" },
      { apiProvider: "anthropic", modelName: "claude", actualCost: "0.75" },
      { apiProvider: "mistral", modelName: "large", actualCost: "3" },
    ]);
    const lines = [
      HEADER,
      `${today}T01:00:00Z,openai,gpt-4o,1.5,USD,${settled[0]},,,,`,
      `${today}T02:00:00Z,openai,gpt-4o,2,USD,${settled[1]},,,,`,
      `${today}T03:00:00Z,anthropic,claude,0.8,USD,${settled[2]},,,,`,
      `${today}T04:00:00Z,google,gemini,0.1,USD,00000000-0000-4000-8000-00000000dead,,,,`,
    ];
    const { upload } = await uploadFile(owner.client, "bill.csv", "csv", lines.join("\n"));
    t.deepEqual(upload.reconciliation.nodes, [
      { day: today, provider: "anthropic", model: "claude", uploadedCost: "0.80000000", uploadedCount: 1, recordedCost: "0.75000000", recordedCount: 1, difference: "0.05000000", status: "cost_differs" },
      { day: today, provider: "google", model: "gemini", uploadedCost: "0.10000000", uploadedCount: 1, recordedCost: "0.00000000", recordedCount: 0, difference: "0.10000000", status: "missing_in_gateway" },
      { day: today, provider: "mistral", model: "large", uploadedCost: "0.00000000", uploadedCount: 0, recordedCost: "3.00000000", recordedCount: 1, difference: "-3.00000000", status: "missing_in_upload" },
      { day: today, provider: "openai", model: "gpt-4o", uploadedCost: "3.50000000", uploadedCount: 2, recordedCost: "3.50000000", recordedCount: 2, difference: "0.00000000", status: "matched" },
    ]);
    const byId = Object.fromEntries(upload.requestMatches.nodes.map((m: any) => [m.externalId, m]));
    t.like(byId[settled[0]!], { requestId: settled[0], status: "matched", difference: "0.00000000" });
    t.like(byId[settled[2]!], { requestId: settled[2], status: "cost_differs", uploadedCost: "0.80000000", recordedCost: "0.75000000", difference: "0.05000000" });
    t.like(byId["00000000-0000-4000-8000-00000000dead"], { requestId: null, status: "missing_in_gateway", recordedCost: null });
    // Another user's identical bill matches nothing of this user's spend.
    const stranger = await register(ctx.gateway.url);
    const { upload: theirs } = await uploadFile(stranger.client, "bill.csv", "csv", lines.join("\n"));
    t.true(theirs.reconciliation.nodes.every((line: any) => line.status === "missing_in_gateway"));
    t.true(theirs.requestMatches.nodes.every((match: any) => match.status === "missing_in_gateway"));
  });

  test(`[${backend.name}] deleting an upload removes its file from storage, by a job`, async (t) => {
    const user = await register(ctx.gateway.url);
    const { created } = await uploadFile(user.client, "gone.csv", "csv", `${HEADER}\n${today}T01:00:00Z,openai,gpt-4o,1,USD,,,,,`);
    t.true(await backend.objectExists(created.upload.s3Key));
    const removed = jobDone("remove_upload_object", created.uploadId);
    await user.client.data("mutation($id: UUID!) { deleteDataUpload(input: {uploadId: $id}) { dataUpload { deletedAt } } }", { id: created.uploadId });
    await removed;
    t.false(await backend.objectExists(created.upload.s3Key));
    const { rows } = await ctx.db.ownerPool.query("select object_removed_at from app_public.data_uploads where upload_id = $1", [created.uploadId]);
    t.truthy(rows[0].object_removed_at);
  });

  test(`[${backend.name}] uploads never completed are removed after a day`, async (t) => {
    const user = await register(ctx.gateway.url);
    const old = await create(user.client, "old.csv", "csv", 5);
    t.is((await put(old.presignedUpload, "a,b,c")).status, 200);
    const fresh = await create(user.client, "fresh.csv", "csv", 5);
    await backdate(old.uploadId, "25 hours");
    const removed = jobDone("remove_upload_object", old.uploadId);
    const { rows } = await ctx.db.ownerPool.query("select graphile_worker.add_job('cleanup_uploads', '{}'::json) as job");
    t.truthy(rows[0].job);
    await removed;
    t.false(await backend.objectExists(old.upload.s3Key));
    const mine = await user.client.data("{ dataUploads { nodes { uploadId } } }");
    t.deepEqual(mine.dataUploads.nodes.map((n: any) => n.uploadId), [fresh.uploadId]);
  });

  /** Moves an upload's creation into the past (created_at is kept by a trigger: bypassed for this). */
  async function backdate(uploadId: string, interval: string) {
    const client = await ctx.db.ownerPool.connect();
    try {
      await client.query("begin");
      await client.query("set local session_replication_role = replica");
      await client.query("update app_public.data_uploads set created_at = now() - $2::interval where upload_id = $1", [uploadId, interval]);
      await client.query("commit");
    } finally {
      client.release();
    }
  }

  return ctx;
}

