// The import, start to end, in ONE transaction: stream + validate + COPY into staging, SQL checks,
// set-based merge, verification (counts and checksums of the records rebuilt from the tables
// against the input's), then COMMIT. Any problem (in stop mode), any verification mismatch, any
// error or a lost connection means ROLLBACK: the database is exactly as before. A dry run does
// everything, verification included, and rolls back.
import path from "node:path";
import fs from "node:fs";
import pg from "pg";
import { runChecks, skippedLines, sqlProblems } from "./checks.ts";
import { ENTITY_NAMES, type EntityName } from "./entities.ts";
import { forEachRecord } from "./export.ts";
import { recordHash, serialize, type JsonValue } from "./json.ts";
import { loadMap, MapError, type ImportMap } from "./map.ts";
import { readSchema, type Schema } from "./catalog.ts";
import { mergeAll } from "./merge.ts";
import { readLegacyFile } from "./parse.ts";
import { Progress } from "./progress.ts";
import { createStageTables, Stager, stageTable } from "./stage.ts";
import { stageRecord } from "./validate.ts";

export interface ImportOptions {
  databaseUrl: string;
  file: string;
  dryRun?: boolean;
  batchName?: string;
  onInvalid?: "stop" | "skip";
  /** A map file: the file's own field names and defaults (`--map`, see map.ts). */
  map?: string;
  /** Most problem lines kept and printed (all are counted). */
  reportLimit?: number;
  quiet?: boolean;
  /** Test hook: runs on the import's connection after the merge, before verification. */
  afterMerge?: (client: pg.ClientBase) => Promise<void>;
  /** Test hook: runs on the import's connection right before COMMIT. */
  beforeCommit?: (backendPid: number) => Promise<void>;
}

export interface TableCounts {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  rejected: number;
}

export interface ImportResult {
  ok: boolean;
  dryRun: boolean;
  batchId?: string;
  batchName?: string;
  counts: Record<EntityName, TableCounts>;
  problems: string[];
  problemCount: number;
  error?: string;
  /** The map file was refused (a usage error: nothing was read). */
  invalidMap?: boolean;
}

export class VerificationError extends Error {
  override name = "VerificationError";
}

export async function importLegacyFile(options: ImportOptions): Promise<ImportResult> {
  const onInvalid = options.onInvalid ?? "stop";
  const limit = options.reportLimit ?? 1000;
  const fileBytes = fs.statSync(options.file).size;
  const progress = new Progress(fileBytes, { quiet: options.quiet });
  const counts = Object.fromEntries(
    ENTITY_NAMES.map((e) => [e, { read: 0, inserted: 0, updated: 0, unchanged: 0, skipped: 0, rejected: 0 }]),
  ) as Record<EntityName, TableCounts>;
  const problems: string[] = [];
  let problemCount = 0;
  const report = (line: string) => {
    problemCount++;
    if (problems.length < limit) problems.push(line);
  };
  const result = (extra: Partial<ImportResult>): ImportResult => ({
    ok: false, dryRun: options.dryRun ?? false, counts, problems, problemCount, ...extra,
  });

  const client = new pg.Client({ connectionString: options.databaseUrl, application_name: "spendgate-import" });
  // A dropped connection surfaces as a failed query; without a listener it would crash the process.
  client.on("error", () => undefined);
  await client.connect();
  try {
    const { rows: [{ pid }] } = await client.query<{ pid: number }>("select pg_backend_pid() pid");
    const startedAt = new Date();
    const batchName = options.batchName ?? `${path.basename(options.file)}@${startedAt.toISOString()}`;
    const taken = await client.query("select 1 from app_private.import_batches where name = $1", [batchName]);
    if (taken.rowCount) return result({ error: `batch name ${JSON.stringify(batchName)} is already used` });

    await client.query("begin");
    // What the columns accept, as this database defines them, read inside the import's transaction.
    const schema = await readSchema(client);
    let map: ImportMap | undefined;
    try {
      map = options.map === undefined ? undefined : loadMap(options.map, schema);
    } catch (error) {
      if (!(error instanceof MapError)) throw error;
      await client.query("rollback");
      return result({ error: error.message, invalidMap: true });
    }
    await createStageTables(client, schema);
    const stager = new Stager(client, schema);
    let records = 0;
    const read = await readLegacyFile(options.file, {
      record(entity, index, value, duplicateKeys) {
        records++;
        counts[entity].read++;
        for (const key of new Set(duplicateKeys)) report(`${entity}[${index}].${key}: duplicate key in the record`);
        const staged = stageRecord(schema[entity], index, value, report, map?.[entity]);
        if (duplicateKeys.length) staged.valid = false;
        return stager.add(entity, staged);
      },
      problem(line) {
        report(line);
      },
      progress: (bytes) => progress.update(bytes, records),
    });
    await stager.finish();
    progress.update(read.bytes, records);
    progress.phase(`read ${records.toLocaleString("en")} records; checking`);

    await runChecks(client, schema, onInvalid === "skip");
    const sql = await sqlProblems(client, Math.max(0, limit - problems.length));
    problems.push(...sql.lines);
    problemCount += sql.total;
    for (const entity of ENTITY_NAMES) {
      const { rows } = await client.query<{ status: string; n: number }>(
        `select stage_status status, count(*)::int n from ${stageTable(entity)} group by stage_status`,
      );
      for (const { status, n } of rows) {
        if (status === "invalid" || status === "rejected") counts[entity].rejected += n;
        if (status === "skipped") counts[entity].skipped += n;
      }
    }
    if (onInvalid === "skip") {
      for (const line of await skippedLines(client, Math.max(0, limit - problems.length))) problems.push(line);
    }
    if (problemCount > 0 && onInvalid === "stop") {
      await client.query("rollback");
      return result({ error: `${problemCount} problem(s) found; nothing was imported` });
    }

    progress.phase("merging");
    const { rows: [batch] } = await client.query<{ batch_id: string }>(
      `insert into app_private.import_batches (name, file_name, file_sha256, file_bytes, on_invalid, started_at, finished_at, report, map)
       values ($1, $2, $3, $4, $5, $6, $6, $7, $8) returning batch_id`,
      [
        batchName, path.basename(options.file), read.sha256, read.bytes, onInvalid, startedAt, JSON.stringify(problems),
        map ? serialize(map as unknown as JsonValue) : null,
      ],
    );
    const merged = await mergeAll(client, batch!.batch_id, schema);
    for (const entity of ENTITY_NAMES) Object.assign(counts[entity], merged[entity]);

    await options.afterMerge?.(client);
    progress.phase("verifying counts and checksums");
    await verify(client, schema, counts);
    await client.query("update app_private.import_batches set finished_at = clock_timestamp(), counts = $2 where batch_id = $1", [
      batch!.batch_id,
      JSON.stringify(counts),
    ]);
    if (options.dryRun) {
      await client.query("rollback");
      progress.phase("dry run: verified and rolled back");
      return result({ ok: true });
    }
    await options.beforeCommit?.(pid!);
    await client.query("commit");
    progress.phase("committed");
    return result({ ok: true, batchId: batch!.batch_id, batchName });
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    return result({ error: (error as Error).message });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Row counts, and a checksum per table: the sum of the 64-bit hashes of the canonical records
 * rebuilt from the tables (exactly what export would write) against the same sum over the input
 * records. Any difference means data would be lost: the import is rolled back.
 */
async function verify(client: pg.ClientBase, schema: Schema, counts: Record<EntityName, TableCounts>): Promise<void> {
  for (const entity of ENTITY_NAMES) {
    const stage = stageTable(entity);
    const { rows: [expected] } = await client.query<{ n: number; sum: string | null }>(
      `select count(*)::int n, sum(h)::text sum from ${stage} where stage_status = 'ok'`,
    );
    let n = 0;
    let sum = 0n;
    await forEachRecord(client, schema[entity], { join: `join ${stage} s on s.new_id = l.new_id and s.stage_status = 'ok'` }, (record) => {
      n++;
      sum += recordHash(record);
    });
    const c = counts[entity];
    if (n !== expected!.n || c.inserted + c.updated + c.unchanged !== expected!.n) {
      throw new VerificationError(`${entity}: ${expected!.n} records to import but ${n} rows found (inserted ${c.inserted}, updated ${c.updated}, unchanged ${c.unchanged})`);
    }
    if (sum !== BigInt(expected!.sum ?? "0")) {
      throw new VerificationError(`${entity}: checksum of the imported rows differs from the input's`);
    }
  }
}
