// Staging: one temporary table per entity (dropped at the end of the transaction, never WAL-
// logged), filled with COPY in chunks while the file streams in. Every record read gets a row,
// invalid ones too (status 'invalid', with whatever id could be read), so that the SQL checks can
// name duplicates and the records that depend on a rejected one.
import type pg from "pg";
import { ENTITIES, ENTITY_NAMES, type EntityName } from "./entities.ts";
import { copyIn, copyValue } from "./copy.ts";
import { serialize } from "./json.ts";
import type { StagedRecord } from "./validate.ts";

export const stageTable = (entity: EntityName) => `import_stage_${entity}`;

export async function createStageTables(client: pg.ClientBase): Promise<void> {
  for (const name of ENTITY_NAMES) {
    const def = ENTITIES[name];
    const columns = [
      "ord bigint not null",
      "legacy_id text",
      "stage_status text not null",
      ...def.fields.map((field) => `${field.column} ${field.sqlType}`),
      ...def.references.flatMap((ref) => [`${ref.column}_legacy text`, `${ref.column}_json text`]),
      "legacy jsonb",
      "h bigint not null",
      // Filled by the checks and the merge.
      "stage_reason text",
      "new_id uuid",
      ...def.references.map((ref) => `${ref.column} uuid`),
      "stage_action text",
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
  private readonly buffers = new Map<EntityName, string[]>();
  private readonly sizes = new Map<EntityName, number>();
  private inFlight: Promise<void> = Promise.resolve();

  constructor(client: pg.ClientBase) {
    this.client = client;
  }

  add(entity: EntityName, record: StagedRecord): Promise<void> | undefined {
    const def = ENTITIES[entity];
    const values = [
      String(record.index),
      copyValue(record.legacyId),
      record.valid ? "ok" : "invalid",
      ...record.columns.map(copyValue),
      ...record.refs.flatMap((ref) => [copyValue(ref.legacyId), copyValue(ref.json)]),
      copyValue(record.valid ? serialize(record.legacy) : null),
      record.hash.toString(),
    ];
    void def;
    const line = `${values.join("\t")}\n`;
    let buffer = this.buffers.get(entity);
    if (!buffer) this.buffers.set(entity, (buffer = []));
    buffer.push(line);
    const size = (this.sizes.get(entity) ?? 0) + line.length;
    this.sizes.set(entity, size);
    if (size < CHUNK_BYTES) return undefined;
    return this.flush(entity);
  }

  flush(entity: EntityName): Promise<void> {
    const lines = this.buffers.get(entity) ?? [];
    this.buffers.set(entity, []);
    this.sizes.set(entity, 0);
    if (lines.length === 0) return this.inFlight;
    const def = ENTITIES[entity];
    const columns = [
      "ord", "legacy_id", "stage_status",
      ...def.fields.map((field) => field.column),
      ...def.references.flatMap((ref) => [`${ref.column}_legacy`, `${ref.column}_json`]),
      "legacy", "h",
    ];
    const data = Buffer.from(lines.join(""), "utf8");
    this.inFlight = this.inFlight.then(() => copyIn(this.client, `copy ${stageTable(entity)} (${columns.join(", ")}) from stdin`, data));
    return this.inFlight;
  }

  async finish(): Promise<void> {
    for (const entity of ENTITY_NAMES) await this.flush(entity);
    await this.inFlight;
    for (const entity of ENTITY_NAMES) await this.client.query(`analyze ${stageTable(entity)}`);
  }
}
