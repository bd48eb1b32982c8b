// Reads imported rows back as legacy records: columns rendered to JSON, `legacy.extra` merged in,
// original texts from `legacy.raw` used where they still denote the column's value (a row changed
// since through the API is written with its current value), mapped fields absent from the input
// left out, the file's own field names given back and the map's defaults left out (map.ts).
// Used by `npm run export-legacy` and, inside the import transaction, by verification.
import fs from "node:fs";
import type pg from "pg";
import { readSchema, type ResolvedEntity, type Schema } from "./catalog.ts";
import { ENTITIES, ENTITY_NAMES, type EntityName } from "./entities.ts";
import { legacyIdText } from "./fields.ts";
import { isObject, newObject, parseExact, serialize, type JsonObject, type JsonValue } from "./json.ts";
import { restoreNames } from "./map.ts";

export interface ExportScope {
  /** Extra join/where restricting the rows, over `t` (table) and `l` (legacy_ids). */
  join?: string;
  where?: string;
  params?: unknown[];
  orderBy?: string;
}

function selectSql(def: ResolvedEntity, scope: ExportScope): string {
  const entity = def.name;
  const columns = [
    "l.legacy_id",
    "t.legacy::text as legacy",
    ...def.fields.map((field, i) => `${field.kind.sql(`t.${field.column}`)} as f${i}`),
    ...def.references.map((ref, i) => {
      const target = ENTITIES[ref.entity];
      return `(select coalesce((r.legacy->'id')::text, to_json(r.${target.pk}::text)::text) from ${target.table} r where r.${target.pk} = t.${ref.column}) as r${i}`;
    }),
  ];
  return `select ${columns.join(", ")} from ${def.table} t
    join app_private.legacy_ids l on l.entity = '${entity}' and l.new_id = t.${def.pk}
    ${scope.join ?? ""} ${scope.where ? `where ${scope.where}` : ""}
    order by ${scope.orderBy ?? "l.position, l.legacy_id"}`;
}

type Row = Record<string, string | null>;

/** Rebuilds the legacy record of one row. */
export function rebuildRecord(def: ResolvedEntity, row: Row): JsonObject {
  const legacy = row.legacy ? (parseExact(row.legacy) as JsonObject) : newObject();
  const raw = isObject(legacy.raw) ? legacy.raw : newObject();
  const absent = new Set(Array.isArray(legacy.absent) ? (legacy.absent as string[]) : []);
  // Columns the import set itself (a deleted user's sessions revoked): the file had no value.
  const derived = new Set(Array.isArray(legacy.derived) ? (legacy.derived as string[]) : []);
  const record = newObject();
  record.id = legacy.id ?? row.legacy_id;
  def.fields.forEach((field, i) => {
    const text = derived.has(field.key) ? null : (row[`f${i}`] ?? null);
    if (Object.hasOwn(raw, field.key)) {
      const original = parseExact(raw[field.key] as string);
      const converted = field.kind.toColumn(original);
      // json columns keep raw only for number spellings jsonb rewrites: always the original.
      if (field.sqlType === "jsonb" || ("text" in converted && converted.text === text)) {
        record[field.key] = original;
        return;
      }
    } else if (absent.has(field.key)) {
      if (field.fill) return; // filled by the database (created_at)
      if (text === field.absent) return;
    }
    record[field.key] = field.kind.render(text);
  });
  def.references.forEach((ref, i) => {
    const target = row[`r${i}`] ?? null;
    const current = target === null ? null : parseExact(target);
    if (Object.hasOwn(raw, ref.key)) {
      const original = parseExact(raw[ref.key] as string);
      const id = legacyIdText(original);
      if (current !== null && "text" in id && id.text === (legacyIdText(current) as { text: string }).text) {
        record[ref.key] = original;
        return;
      }
    } else if (absent.has(ref.key) && current === null) return;
    record[ref.key] = current;
  });
  if (isObject(legacy.extra)) for (const key of Object.keys(legacy.extra)) record[key] = legacy.extra[key]!;
  const mapped = new Set(def.fields.map((field) => field.key).concat(def.references.map((ref) => ref.key)));
  for (const key of Object.keys(raw)) if (!mapped.has(key)) record[key] = parseExact(raw[key] as string);
  return restoreNames(record, legacy);
}

/** Streams the rebuilt records of one entity through a server-side cursor (open transaction needed). */
export async function forEachRecord(
  client: pg.ClientBase,
  def: ResolvedEntity,
  scope: ExportScope,
  fn: (record: JsonObject) => void | Promise<void>,
): Promise<number> {
  const cursor = `import_export_${def.name}`;
  await client.query(`declare ${cursor} no scroll cursor for ${selectSql(def, scope)}`, scope.params ?? []);
  let count = 0;
  // The next batch is requested before this one is processed: the server reads while we rebuild.
  const fetch = () => client.query<Row>(`fetch 10000 from ${cursor}`);
  let next = fetch();
  for (;;) {
    const { rows } = await next;
    if (rows.length === 0) break;
    next = fetch();
    next.catch(() => undefined); // awaited on the next turn
    for (const row of rows) {
      await fn(rebuildRecord(def, row));
      count++;
    }
  }
  await client.query(`close ${cursor}`);
  return count;
}

/** Writes every imported record (or one batch's) in the legacy file format, streaming. */
export async function exportLegacyFile(client: pg.ClientBase, file: string, batchId?: string): Promise<Record<EntityName, number>> {
  const scope: ExportScope = batchId
    ? {
        where: `(l.batch_id = $1 or exists (select from app_private.import_row_versions v
                  where v.batch_id = $1 and v.entity = l.entity and v.row_id = l.new_id))`,
        params: [batchId],
      }
    : {};
  const out = fs.createWriteStream(file);
  const failed = new Promise<never>((_, reject) => out.on("error", reject));
  const write = async (text: string) => {
    if (!out.write(text)) await Promise.race([new Promise<void>((resolve) => out.once("drain", () => resolve())), failed]);
  };
  const counts = {} as Record<EntityName, number>;
  await client.query("begin isolation level repeatable read read only");
  try {
    const schema: Schema = await readSchema(client);
    await write("{");
    for (const [e, entity] of ENTITY_NAMES.entries()) {
      await write(`${e ? "," : ""}\n${JSON.stringify(entity)}: [`);
      let first = true;
      counts[entity] = await forEachRecord(client, schema[entity], scope, async (record: JsonValue) => {
        await write(`${first ? "\n" : ",\n"}${serialize(record)}`);
        first = false;
      });
      await write(first ? "]" : "\n]");
    }
    await write("\n}\n");
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    out.destroy();
    throw error;
  }
  await new Promise<void>((resolve, reject) => {
    out.end(() => resolve());
    out.on("error", reject);
  });
  return counts;
}
