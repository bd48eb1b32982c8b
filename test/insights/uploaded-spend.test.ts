// Uploaded spend in the signals, through HTTP: a consenting user uploads a spend file (create,
// PUT, complete, the process_upload job), asks for their persona on demand (computePersona) and
// reads signals computed from it; rows that reconciliation matches to a settled request are that
// request's spend and count once; a transaction re-uploaded with the same external_id counts
// once; a deleted upload stops counting. Jobs are awaited by the inline worker's events.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, promote, register, type Account } from "../api/client.ts";
import { HEADER, uploadClient } from "../uploads/client.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-insights-uploads-"));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

const state = { operator: undefined as unknown as Account };
const ctx = useTestGateway(
  { WORKER: "inline", WORKER_CONCURRENCY: "2", UPLOADS_DIR: dir, UPLOAD_SIGNING_SECRET: "a-test-upload-signing-secret-of-32-bytes-or-more" },
  async ({ db, gateway }) => {
    const admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
    state.operator = await promote(admin, await register(gateway.url), "operator");
  },
);
const uploads = uploadClient({ get gateway() { return ctx.gateway; }, get operator() { return state.operator; } });

async function consenting(): Promise<Account> {
  const user = await register(ctx.gateway.url);
  await user.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {consentStatus: true}}) { user { consentStatus } } }", { id: user.userId });
  return user;
}

const computePersona = async (user: Account) =>
  (await user.client.data("mutation($u: UUID!) { computePersona(input: {userId: $u}) { userProfile { personaId personaName signals30D signals180D } } }", { u: user.userId }))
    .computePersona.userProfile;

/** `days` days and a minute before now, as a file's occurred_at (the job counts spend before now). */
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000 - 60_000).toISOString();
const csv = (rows: [days: number, provider: string, cost: string, externalId?: string][]) =>
  [HEADER, ...rows.map(([days, provider, cost, externalId]) => `${daysAgo(days)},${provider},model-u,${cost},USD,${externalId ?? ""},,,,`)].join("\n");

test.serial("a user who only uploads spend gets signals and a persona from it; a deleted upload stops counting", async (t) => {
  const user = await consenting();
  t.like(await computePersona(user), { personaName: "dormant" }, "nothing recorded, nothing uploaded");
  // The bursty shape of personas.test.ts, as a bill: one day at 10, three at 1; and one row
  // older than 180 days, outside both windows.
  const { upload } = await uploads.uploadFile(user.client, "bill.csv", "csv",
    csv([[20, "openai", "10"], [3, "anthropic", "1"], [5, "openai", "1"], [25, "openai", "1"], [200, "openai", "7"]]));
  t.like(upload, { status: "completed", validRowCount: 5 });

  const profile = await computePersona(user);
  t.like(profile, { personaId: 2, personaName: "bursty" });
  t.like(profile.signals30D, {
    requests: 0, uploaded_transactions: 4, uploaded_spend: 13, total_spend: 13, active_days: 4, max_daily_spend: 10, burstiness: 23.08, rejection_rate: 0,
  });
  t.deepEqual(profile.signals30D.share_by_provider, { openai: 0.9231, anthropic: 0.0769 });
  t.deepEqual(profile.signals30D.share_by_model, { "model-u": 1 });
  t.like(profile.signals180D, { uploaded_transactions: 4, total_spend: 13 });

  const history = await user.client.data("{ personaHistories(orderBy: ASSIGNED_AT_DESC) { nodes { personaName signals } } }");
  t.is(history.personaHistories.nodes[0].personaName, "bursty");
  t.is(history.personaHistories.nodes[0].signals.signals_30d.uploaded_spend, 13, "the history keeps the uploaded spend that caused the change");

  await user.client.data("mutation($id: UUID!) { deleteDataUpload(input: {uploadId: $id}) { dataUpload { deletedAt } } }", { id: upload.uploadId });
  const after = await computePersona(user);
  t.like(after, { personaName: "dormant" });
  t.like(after.signals30D, { uploaded_transactions: 0, total_spend: 0 });
});

test.serial("uploaded rows that reconciliation matches to settled requests are not counted twice; a re-uploaded transaction counts once", async (t) => {
  const user = await consenting();
  const [first, second] = await uploads.settleRequests(user, [
    { apiProvider: "openai", modelName: "gpt-4o", actualCost: "1.5" },
    { apiProvider: "openai", modelName: "gpt-4o", actualCost: "2" },
  ]);
  const rows: Parameters<typeof csv>[0] = [
    [0, "openai", "1.5", first], // matched: the same spend as the request
    [0, "openai", "2.2", second!.toUpperCase()], // cost_differs: still that request (its settled cost counts)
    [1, "google", "0.1", "00000000-0000-4000-8000-00000000dead"], // a uuid Spendgate never settled
    [1, "google", "0.4"], // no external_id
    [2, "mistral", "0.5", "ext-9"], // not a request id
  ];
  const { upload } = await uploads.uploadFile(user.client, "bill.csv", "csv", csv(rows));
  const matched = upload.requestMatches.nodes.filter((m: any) => m.requestId).map((m: any) => m.status).sort();
  t.deepEqual(matched, ["cost_differs", "matched"], "reconciliation matches the first two rows to the requests");

  const signals = (await computePersona(user)).signals30D;
  t.like(signals, { requests: 2, uploaded_transactions: 3, uploaded_spend: 1, total_spend: 4.5 }, "3.5 settled + 1.0 uploaded that Spendgate did not record");
  t.deepEqual(signals.share_by_provider, { openai: 0.7778, google: 0.1111, mistral: 0.1111 });

  // The next month's export repeats two rows with their external ids: they count once (from the
  // newer upload), its new row adds.
  await uploads.uploadFile(user.client, "bill-2.csv", "csv", csv([[1, "google", "0.1", "00000000-0000-4000-8000-00000000dead"], [2, "mistral", "0.5", "ext-9"], [0, "mistral", "0.25", "ext-10"]]));
  t.like((await computePersona(user)).signals30D, { requests: 2, uploaded_transactions: 4, uploaded_spend: 1.25, total_spend: 4.75 });

  // Another user's upload naming these requests is their own spend: ids match only the uploader's requests.
  const stranger = await consenting();
  await uploads.uploadFile(stranger.client, "bill.csv", "csv", csv(rows.slice(0, 2)));
  t.like((await computePersona(stranger)).signals30D, { requests: 0, uploaded_transactions: 2, uploaded_spend: 3.7, total_spend: 3.7 });
});
