// The set-based merge of the staged rows into the tables, entity by entity in dependency order,
// inside the import's transaction. Upsert on the legacy id: a record seen before (legacy_ids)
// updates its row when something changed (the previous row is saved for rollback) and is left
// alone otherwise; a new record gets a uuid, a mapping and a row.
import type pg from "pg";
import { ENTITIES, ENTITY_NAMES, type EntityName } from "./entities.ts";
import { stageTable } from "./stage.ts";

export interface MergeCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export async function mergeAll(client: pg.ClientBase, batchId: string): Promise<Record<EntityName, MergeCounts>> {
  const counts = {} as Record<EntityName, MergeCounts>;
  for (const entity of ENTITY_NAMES) counts[entity] = await mergeEntity(client, entity, batchId);
  return counts;
}

async function mergeEntity(client: pg.ClientBase, entity: EntityName, batchId: string): Promise<MergeCounts> {
  const def = ENTITIES[entity];
  const s = stageTable(entity);
  const q = (sql: string, params: unknown[] = []) => client.query(sql, params);

  // New records: a uuid and a mapping (new_id of known ones was set by the checks).
  await q(`with fresh as (
      insert into app_private.legacy_ids (entity, legacy_id, new_id, batch_id, position)
      select '${entity}', legacy_id, gen_random_uuid(), $1, ord from ${s} where stage_status = 'ok' and new_id is null
      returning legacy_id, new_id)
    update ${s} t set new_id = fresh.new_id from fresh where t.legacy_id = fresh.legacy_id and t.stage_status = 'ok'`, [batchId]);

  // References to uuids; a reference written with another JSON type than the target's id
  // (42 vs "42") keeps its own text in legacy.raw so that export writes it back as it was.
  for (const ref of def.references) {
    const target = ENTITIES[ref.entity];
    await q(`update ${s} t set ${ref.column} = l.new_id from app_private.legacy_ids l
      where l.entity = '${ref.entity}' and l.legacy_id = t.${ref.column}_legacy and t.stage_status = 'ok'`);
    await q(`update ${s} t
        set legacy = jsonb_set(t.legacy, '{raw}', coalesce(t.legacy->'raw', '{}') || jsonb_build_object('${ref.key}', t.${ref.column}_json))
       from ${target.table} r
      where t.stage_status = 'ok' and r.${target.pk} = t.${ref.column} and (r.legacy->'id') is distinct from t.${ref.column}_json::jsonb`);
  }

  const columns = [...def.fields.map((field) => field.column), ...def.references.map((ref) => ref.column), "legacy"];
  const value = (column: string) => {
    const field = def.fields.find((f) => f.column === column);
    return field?.cast ? `s.${column}::${field.cast}` : `s.${column}`;
  };
  // created_at of an existing row never changes (checked before); a record without one keeps it.
  const compared = columns.filter((column) => column !== "created_at");
  await q(`update ${s} s set stage_action = case
      when t.${def.pk} is null then 'insert'
      when (${compared.map((c) => `t.${c}`).join(", ")}) is not distinct from (${compared.map(value).join(", ")}) then 'unchanged'
      else 'update' end
    from ${s} s2 left join ${def.table} t on t.${def.pk} = s2.new_id
    where s2.ord = s.ord and s.stage_status = 'ok'`);

  await q(`insert into app_private.import_row_versions (batch_id, entity, row_id, action, previous)
    select $1, '${entity}', t.${def.pk}, 'update', to_jsonb(t) from ${def.table} t join ${s} s on s.new_id = t.${def.pk} and s.stage_action = 'update'`, [batchId]);
  const updated = await q(`update ${def.table} t set ${compared.map((c) => `${c} = ${value(c)}`).join(", ")}
    from ${s} s where s.new_id = t.${def.pk} and s.stage_action = 'update'`);

  // Recreated rows (mapping from an earlier batch, row deleted since) are listed for rollback.
  await q(`insert into app_private.import_row_versions (batch_id, entity, row_id, action)
    select $1, '${entity}', s.new_id, 'insert' from ${s} s
      join app_private.legacy_ids l on l.entity = '${entity}' and l.legacy_id = s.legacy_id and l.batch_id <> $1
     where s.stage_action = 'insert'`, [batchId]);
  const insertColumns = columns.map((c) => (c === "created_at" ? `coalesce(s.created_at, now())` : value(c)));
  const inserted = await q(`insert into ${def.table} (${def.pk}, ${columns.join(", ")})
    select s.new_id, ${insertColumns.join(", ")} from ${s} s where s.stage_action = 'insert' order by s.ord`);

  const { rows: [unchanged] } = await q(`select count(*)::int n from ${s} where stage_action = 'unchanged'`);
  return { inserted: inserted.rowCount ?? 0, updated: updated.rowCount ?? 0, unchanged: unchanged.n };
}
