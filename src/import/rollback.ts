// Rolls one committed batch back in one transaction: deletes the rows it created, restores the
// rows it updated to their previous version, deletes its mappings, marks it rolled back. It
// refuses (and changes nothing) when that would lose later work: rows of the batch changed after
// it (by the API or by a later batch), or rows created outside the batch that reference rows the
// batch created (they would be deleted by ON DELETE CASCADE or block the delete). Later batches
// touching the same rows must therefore be rolled back first, newest first.
import pg from "pg";
import { ENTITIES, ENTITY_NAMES } from "./entities.ts";

export interface RollbackResult {
  ok: boolean;
  batchId?: string;
  batchName?: string;
  deleted: Record<string, number>;
  restored: Record<string, number>;
  error?: string;
}

export async function rollbackBatch(databaseUrl: string, batch: string): Promise<RollbackResult> {
  const deleted: Record<string, number> = {};
  const restored: Record<string, number> = {};
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "spendgate-import-rollback" });
  client.on("error", () => undefined);
  await client.connect();
  const q = (sql: string, params: unknown[] = []) => client.query(sql, params);
  try {
    await q("begin");
    
    const found = await q(
      `select batch_id, name, status, finished_at from app_private.import_batches where batch_id::text = lower($1) or name = $1 for update`,
      [batch],
    );
    if (found.rowCount !== 1) throw new Error(`no import batch with id or name ${JSON.stringify(batch)}`);
    const { batch_id: batchId, name, status } = found.rows[0];
    if (status === "rolled_back") throw new Error(`batch ${name} is already rolled back`);

    // The rows this batch created or updated.
    await q(`create temp table rollback_rows on commit drop as
      select entity, new_id row_id, 'insert'::text action from app_private.legacy_ids where batch_id = $1
      union all
      select entity, row_id, action from app_private.import_row_versions where batch_id = $1`, [batchId]);

    const blockers: string[] = [];
    for (const entity of ENTITY_NAMES) {
      const def = ENTITIES[entity];
      // updated_at is set by a trigger to the writing transaction's start: later than the batch's
      // finish only if something wrote the row afterwards; the rollback of a later batch that had
      // touched the row does not count (it stamps the row with its own rolled_back_at).
      const { rows: [changed] } = await q(
        `select count(*)::int n from ${def.table} t join rollback_rows r on r.entity = '${entity}' and r.row_id = t.${def.pk}
          where t.updated_at > greatest(
            (select finished_at from app_private.import_batches where batch_id = $1),
            (select max(b.rolled_back_at) from app_private.import_row_versions v
               join app_private.import_batches b on b.batch_id = v.batch_id and b.status = 'rolled_back'
              where v.entity = r.entity and v.row_id = r.row_id))`,
        [batchId],
      );
      if (changed.n) blockers.push(`${changed.n} ${entity} row(s) changed after the batch (through the API or by a later batch)`);
    }
    // Rows outside the batch referencing rows it created, through any foreign key.
    const { rows: fks } = await q(`
      select c.conrelid::regclass::text referencing, a.attname col, c.confrelid::regclass::text referenced
        from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
       where c.contype = 'f' and cardinality(c.conkey) = 1
         and c.confrelid = any (array['app_public.users'::regclass, 'app_public.projects'::regclass])`);
    for (const fk of fks) {
      const target = ENTITY_NAMES.find((e) => ENTITIES[e].table === fk.referenced)!;
      const source = ENTITY_NAMES.find((e) => ENTITIES[e].table === fk.referencing);
      const pk = source ? ENTITIES[source].pk : undefined;
      const { rows: [refs] } = await q(
        `select count(*)::int n from ${fk.referencing} x
          join rollback_rows r on r.entity = '${target}' and r.action = 'insert' and r.row_id = x.${fk.col}
          ${pk ? `where not exists (select from rollback_rows o where o.entity = '${source}' and o.action = 'insert' and o.row_id = x.${pk})` : ""}`,
      );
      if (refs.n) blockers.push(`${refs.n} row(s) of ${fk.referencing} created outside the batch reference ${target} it created`);
    }
    if (blockers.length) {
      throw new Error(`refusing to roll back batch ${name}: ${blockers.join("; ")}. Roll back later batches first (newest first).`);
    }

    for (const entity of [...ENTITY_NAMES].reverse()) {
      const def = ENTITIES[entity];
      const res = await q(`delete from ${def.table} t using rollback_rows r
        where r.entity = '${entity}' and r.action = 'insert' and r.row_id = t.${def.pk}`);
      deleted[entity] = res.rowCount ?? 0;
    }
    for (const entity of ENTITY_NAMES) {
      const def = ENTITIES[entity];
      const columns = [...def.fields.map((f) => f.column), ...def.references.map((r) => r.column), "legacy"].filter((c) => c !== "created_at");
      const res = await q(`update ${def.table} t set ${columns.map((c) => `${c} = p.${c}`).join(", ")}
        from app_private.import_row_versions v, jsonb_populate_record(null::${def.table}, v.previous) p
        where v.batch_id = $1 and v.entity = '${entity}' and v.action = 'update' and t.${def.pk} = v.row_id`, [batchId]);
      restored[entity] = res.rowCount ?? 0;
    }
    await q("delete from app_private.legacy_ids where batch_id = $1", [batchId]);
    await q("update app_private.import_batches set status = 'rolled_back', rolled_back_at = now() where batch_id = $1", [batchId]);
    await q("commit");
    return { ok: true, batchId, batchName: name, deleted, restored };
  } catch (error) {
    await q("rollback").catch(() => undefined);
    return { ok: false, deleted, restored, error: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}
