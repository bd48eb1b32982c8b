// The set-based merge of the staged rows into the tables, entity by entity in dependency order,
// inside the import's transaction. Upsert on the legacy id: a record seen before (legacy_ids)
// updates its row when something changed (the previous row is saved for rollback) and is left
// alone otherwise; a new record gets a mapping and a row.
//
// Each entity's final rows (references resolved, casts applied) are built once into a temporary
// table by joins: cheaper than updating the staging table column by column, and every statement
// after that reads it.
import type pg from "pg";
import type { Schema } from "./catalog.ts";
import { ENTITIES, ENTITY_NAMES, type EntityName } from "./entities.ts";
import { stageTable } from "./stage.ts";

export interface MergeCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export async function mergeAll(client: pg.ClientBase, batchId: string, schema: Schema): Promise<Record<EntityName, MergeCounts>> {
  const counts = {} as Record<EntityName, MergeCounts>;
  for (const entity of ENTITY_NAMES) counts[entity] = await mergeEntity(client, schema, entity, batchId);
  return counts;
}

async function mergeEntity(client: pg.ClientBase, schema: Schema, entity: EntityName, batchId: string): Promise<MergeCounts> {
  const def = schema[entity];
  const s = stageTable(entity);
  const src = `import_merge_${entity}`;
  const q = (sql: string, params: unknown[] = []) => client.query(sql, params);

  // Mappings for the new records (known ones got their row's uuid in the checks).
  await q(`insert into app_private.legacy_ids (entity, legacy_id, new_id, batch_id, position)
    select '${entity}', s.legacy_id, s.new_id, $1, s.ord from ${s} s
     where s.stage_status = 'ok'
       and not exists (select from app_private.legacy_ids l where l.entity = '${entity}' and l.legacy_id = s.legacy_id)
     order by s.ord`, [batchId]);

  // References become uuids. One written with another JSON type than the target's id (42 vs
  // "42") keeps its own text in legacy.raw, so that export writes it back as it was.
  const joins = def.references.map((ref, i) => {
    const target = ENTITIES[ref.entity];
    return `left join app_private.legacy_ids l${i} on l${i}.entity = '${ref.entity}' and l${i}.legacy_id = s.${ref.column}_legacy
      left join ${target.table} r${i} on r${i}.${target.pk} = l${i}.new_id`;
  });
  const patches = def.references.map((ref, i) => {
    const target = ENTITIES[ref.entity];
    return `case when r${i}.${target.pk} is not null and (r${i}.legacy->'id') is distinct from s.${ref.column}_json::jsonb
      then jsonb_build_object('${ref.key}', s.${ref.column}_json) else '{}'::jsonb end`;
  });
  const patch = patches.length ? patches.join(" || ") : "'{}'::jsonb";
  const legacy = `case when ${patch} = '{}'::jsonb then s.legacy
    else jsonb_set(s.legacy, '{raw}', coalesce(s.legacy->'raw', '{}'::jsonb) || ${patch}) end`;
  const selectList = [
    "s.new_id",
    "s.ord",
    ...def.fields.map((field) => `s.${field.column}${field.cast ? `::${field.cast}` : ""} as ${field.column}`),
    ...def.references.map((ref, i) => `l${i}.new_id as ${ref.column}`),
    `${legacy} as legacy`,
  ];
  await q(`create temp table ${src} on commit drop as
    select ${selectList.join(", ")} from ${s} s ${joins.join(" ")} where s.stage_status = 'ok'`);

  const columns = [...def.fields.map((field) => field.column), ...def.references.map((ref) => ref.column), "legacy"];
  // created_at of an existing row never changes (checked before); a record without one keeps it.
  const compared = columns.filter((column) => column !== "created_at");
  const differs = `(${compared.map((c) => `t.${c}`).join(", ")}) is distinct from (${compared.map((c) => `m.${c}`).join(", ")})`;

  await q(`insert into app_private.import_row_versions (batch_id, entity, row_id, action, previous)
    select $1, '${entity}', t.${def.pk}, 'update', to_jsonb(t) from ${def.table} t join ${src} m on m.new_id = t.${def.pk} where ${differs}`, [batchId]);
  const updated = await q(`update ${def.table} t set ${compared.map((c) => `${c} = m.${c}`).join(", ")}
    from ${src} m where m.new_id = t.${def.pk} and ${differs}`);

  // A row recreated under a mapping of an earlier batch (deleted since) is listed for rollback.
  await q(`insert into app_private.import_row_versions (batch_id, entity, row_id, action)
    select $1, '${entity}', m.new_id, 'insert' from ${src} m
      join app_private.legacy_ids l on l.entity = '${entity}' and l.new_id = m.new_id and l.batch_id <> $1
     where not exists (select from ${def.table} t where t.${def.pk} = m.new_id)`, [batchId]);
  // A field left to a per-row default (created_at: now()) gets it here.
  const fills = new Map(def.fields.map((field) => [field.column, field.fill]));
  const insertValues = columns.map((c) => (fills.get(c) ? `coalesce(m.${c}, ${fills.get(c)})` : `m.${c}`));
  const inserted = await q(`insert into ${def.table} (${def.pk}, ${columns.join(", ")})
    select m.new_id, ${insertValues.join(", ")} from ${src} m
     where not exists (select from ${def.table} t where t.${def.pk} = m.new_id)
     order by m.ord`);

  const { rows: [total] } = await q(`select count(*)::int n from ${src}`);
  const ins = inserted.rowCount ?? 0;
  const upd = updated.rowCount ?? 0;
  return { inserted: ins, updated: upd, unchanged: total.n - ins - upd };
}
