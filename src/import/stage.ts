// Staging: one temporary table per entity (dropped at the end of the transaction, never WAL-
// logged), filled with COPY in chunks while the file streams in. Every record read gets a row,
// invalid ones too (status 'invalid', with whatever id could be read), so that the SQL checks can
// name duplicates and the records that depend on a rejected one.
import type pg from "pg";
import type { Schema } from "./catalog.ts";
import { ENTITY_NAMES, type EntityName } from "./entities.ts";
import { copyIn, copyValue } from "./copy.ts";
import { serialize } from "./json.ts";
import { uuidv7 } from "./uuid.ts";
import type { StagedRecord } from "./validate.ts";

export const stageTable = (entity: EntityName) => `import_stage_${entity}`;

export async function createStageTables(client: pg.ClientBase, schema: Schema): Promise<void> {
  for (const name of ENTITY_NAMES) {
    const def = schema[name];
    const columns = [
      "ord bigint not null",
      "legacy_id text",
      "stage_status text not null",
      ...def.fields.map((field) => `${field.column} ${field.sqlType}`),
      ...def.references.flatMap((ref) => [`${ref.column}_legacy text`, `${ref.column}_json text`]),
      "legacy jsonb",
      "h bigint not null",
      // A fresh time-ordered uuid; the checks replace it with the existing row's for known records.
      "new_id uuid not null",
      // Filled by the checks (skip mode).
      "stage_reason text",
    ];
    await client.query(`create temp table ${stageTable(name)} (${columns.join(", ")}) on commit drop`);
  }
  await client.query(
    "create temp table import_stage_problems (entity text not null, ord bigint not null, field text, message text not null) on commit drop",
  );
}

const CHUNK_BYTES = 4 << 20;

/** Buffers COPY lines per entity; `add` returns a promise when a chunk is being sent. */
export class Stager {
  private readonly client: pg.ClientBase;
  private readonly schema: Schema;
  private readonly buffers = new Map<EntityName, string[]>();
  private readonly sizes = new Map<EntityName, number>();
  private inFlight: Promise<void> = Promise.resolve();

  constructor(client: pg.ClientBase, schema: Schema) {
    this.client = client;
    this.schema = schema;
  }

  add(entity: EntityName, record: StagedRecord): Promise<void> | undefined {
    const values = [
      String(record.index),
      copyValue(record.legacyId),
      record.valid ? "ok" : "invalid",
      ...record.columns.map(copyValue),
      ...record.refs.flatMap((ref) => [copyValue(ref.legacyId), copyValue(ref.json)]),
      copyValue(record.valid ? serialize(record.legacy) : null),
      record.hash.toString(),
      uuidv7(),
    ];
    const line = `${values.join("\t")}\n`;
    let buffer = this.buffers.get(entity);
    if (!buffer) this.buffers.set(entity, (buffer = []));
    buffer.push(line);
    const size = (this.sizes.get(entity) ?? 0) + line.length;
    this.sizes.set(entity, size);
    if (size < CHUNK_BYTES) return undefined;
    // Send this chunk, but only wait for the previous one: the server loads a chunk while we
    // parse the next (two cores busy), and at most two chunks are held in memory.
    const previous = this.inFlight;
    this.flush(entity);
    return previous;
  }

  flush(entity: EntityName): Promise<void> {
    const lines = this.buffers.get(entity) ?? [];
    this.buffers.set(entity, []);
    this.sizes.set(entity, 0);
    if (lines.length === 0) return this.inFlight;
    const def = this.schema[entity];
    const columns = [
      "ord", "legacy_id", "stage_status",
      ...def.fields.map((field) => field.column),
      ...def.references.flatMap((ref) => [`${ref.column}_legacy`, `${ref.column}_json`]),
      "legacy", "h", "new_id",
    ];
    const data = Buffer.from(lines.join(""), "utf8");
    this.inFlight = this.inFlight.then(() => copyIn(this.client, `copy ${stageTable(entity)} (${columns.join(", ")}) from stdin`, data));
    this.inFlight.catch(() => undefined); // surfaced by the next add() or by finish()
    return this.inFlight;
  }

  async finish(): Promise<void> {
    for (const entity of ENTITY_NAMES) await this.flush(entity);
    await this.inFlight;
    for (const entity of ENTITY_NAMES) await this.client.query(`analyze ${stageTable(entity)}`);
  }
}
