// The work of job process_upload: streams the stored file through the parser and the validation,
// stores the valid transactions in batches, and records the outcome on the upload, all in one
// transaction. A retry after a crash therefore starts from nothing (a killed run committed
// nothing), and a finished upload is left alone: re-processing never stores a row twice.
import type { PoolClient } from "pg";
import { copyIn, copyValue } from "../import/copy.ts";
import { ObjectMissingError, type ObjectStorage } from "../storage/storage.ts";
import { FileFormatError, readRecords } from "./records.ts";
import { validateRecord, type Problem, type TransactionRow } from "./validate.ts";

/** validation_errors keeps the first problems only; error_count has them all. */
export const MAX_REPORTED_PROBLEMS = 100;
/** Rows per insert: bounded memory whatever the file's size. */
const BATCH_ROWS = 2000;

export type ProcessOutcome =
  | { status: "skipped"; reason: string }
  | { status: "completed" | "failed"; rows: number; valid: number; errors: number; reason?: string };

interface UploadRow {
  upload_id: string;
  user_id: string;
  s3_key: string | null;
  file_type: "csv" | "json";
  status: string;
  deleted_at: Date | null;
}

// COPY rather than INSERT: the rows are already validated, and COPY is the cheapest way in.
const COPY = `copy app_public.upload_transactions (upload_id, user_id, row_number, occurred_at, provider, model, cost, currency,
  external_id, project, agent, input_tokens, output_tokens) from stdin`;

function copyLine(t: TransactionRow): string {
  const values = [String(t.row_number), t.occurred_at, t.provider, t.model, t.cost, t.currency, t.external_id, t.project, t.agent, t.input_tokens, t.output_tokens];
  return `${values.map(copyValue).join("\t")}\n`;
}

export interface ProcessHooks {
  /** After each batch is written (progress logs; the crash test waits for it). */
  onBatch?(storedRows: number): void;
}

export async function processUpload(client: PoolClient, storage: ObjectStorage, uploadId: string, hooks: ProcessHooks = {}): Promise<ProcessOutcome> {
  await client.query("begin");
  try {
    const outcome = await processLocked(client, storage, uploadId, hooks);
    await client.query("commit");
    return outcome;
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

async function processLocked(client: PoolClient, storage: ObjectStorage, uploadId: string, hooks: ProcessHooks): Promise<ProcessOutcome> {
  // The row lock also keeps a second run of the same job (at-least-once delivery) waiting.
  const { rows } = await client.query<UploadRow>(
    "select upload_id, user_id, s3_key, file_type, status, deleted_at from app_public.data_uploads where upload_id = $1 for update",
    [uploadId],
  );
  const upload = rows[0];
  if (!upload) return { status: "skipped", reason: "no such upload" };
  if (upload.deleted_at) return { status: "skipped", reason: "deleted" };
  if (upload.status !== "processing") return { status: "skipped", reason: `already ${upload.status}` };

  // Rows of an earlier run can only be here if someone set the status back by hand: replace them.
  await client.query("delete from app_public.upload_transactions where upload_id = $1", [uploadId]);
  await client.query("savepoint file");
  let counts = { rows: 0, valid: 0, errors: 0 };
  const problems: Problem[] = [];
  let reason: string | undefined;
  try {
    counts = await loadRows(client, storage, upload, problems, hooks);
  } catch (error) {
    if (!(error instanceof FileFormatError || error instanceof ObjectMissingError)) throw error;
    // An unreadable file stores nothing, even the rows before the fault, and reports only why.
    await client.query("rollback to savepoint file");
    problems.length = 0;
    reason = error instanceof ObjectMissingError ? "the uploaded file is no longer in storage" : error.message;
  }
  const status = reason ? "failed" : "completed";
  await client.query(
    `update app_public.data_uploads set status = $2, processed_at = now(), row_count = $3, valid_row_count = $4,
            error_count = $5, validation_errors = $6::jsonb, failure_reason = $7
      where upload_id = $1`,
    [uploadId, status, counts.rows, reason ? 0 : counts.valid, counts.errors, JSON.stringify(problems), reason ?? null],
  );
  return { status, ...counts, valid: reason ? 0 : counts.valid, reason };
}

async function loadRows(client: PoolClient, storage: ObjectStorage, upload: UploadRow, problems: Problem[], hooks: ProcessHooks) {
  if (!upload.s3_key) throw new ObjectMissingError(upload.upload_id);
  const body = await storage.read(upload.s3_key);
  const counts = { rows: 0, valid: 0, errors: 0 };
  const prefix = `${upload.upload_id}\t${upload.user_id}\t`;
  let batch: string[] = [];
  // One batch is written while the next is parsed (PostgreSQL and Node work at the same time);
  // at most two batches are in memory.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    await writing;
    if (!batch.length) return;
    const data = Buffer.from(batch.join(""));
    const size = batch.length;
    batch = [];
    writing = copyIn(client, COPY, data).then(() => {
      counts.valid += size;
      hooks.onBatch?.(counts.valid);
    });
    // Awaited by the next flush, which rethrows; until then a failure must not count as unhandled.
    writing.catch(() => undefined);
  };
  const problem = (p: Problem) => {
    counts.errors++;
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(p);
  };
  for await (const { row, record } of readRecords(body, upload.file_type)) {
    counts.rows = row;
    const transaction = validateRecord(row, record, problem);
    if (transaction) batch.push(prefix + copyLine(transaction));
    if (batch.length >= BATCH_ROWS) await flush();
  }
  await flush();
  await writing;
  return counts;
}
