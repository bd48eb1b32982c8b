// Checks, set-based over the staged rows, before anything is written: the tables' own check
// constraints (read from the catalog, run on each staged row as it will be written, so the report
// names the record), duplicate legacy ids, duplicate emails / phone numbers / refresh tokens (in
// the file and against the database), dangling references, project-owner mismatches, and changes
// the tables' triggers would refuse (created_at of an existing row, un-revoking a session). Rows with a problem become
// 'rejected'; in skip mode the records depending on a rejected or invalid one become 'skipped'.
import type pg from "pg";
import type { Schema, Unique } from "./catalog.ts";
import { ENTITIES, ENTITY_NAMES, type EntityName } from "./entities.ts";
import { stageTable } from "./stage.ts";

const s = stageTable;
const problem = (entity: EntityName, field: string, select: string) =>
  `insert into import_stage_problems (entity, ord, field, message) ${select.replaceAll("$E", `'${entity}'`).replaceAll("$F", `'${field}'`)}`;


/** Rows sharing `key` (an expression over the stage row) with another row; names the other one. */
function duplicates(entity: EntityName, field: string, key: string, message: string, onlyOk = true): string {
  return problem(entity, field, `select $E, ord, $F, format('${message} (also %s[%s])', $E, case when ord = first_ord then second_ord else first_ord end)
    from (select ord, count(*) over w n, min(ord) over w first_ord, nth_value(ord, 2) over (w order by ord rows between unbounded preceding and unbounded following) second_ord
            from ${s(entity)} where ${key} is not null${onlyOk ? " and stage_status = 'ok'" : ""} window w as (partition by ${key})) d
   where n > 1`);
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Each check constraint of the table over the staged rows, cast to the columns' types. */
function constraintStatements(schema: Schema): string[] {
  return ENTITY_NAMES.flatMap((entity) => {
    const def = schema[entity];
    const columns = def.fields.map((field) => (field.cast ? `${field.column}::${field.cast} as ${field.column}` : field.column));
    return def.checks.map((check) =>
      problem(entity, check.key, `select $E, ord, $F, ${literal(`violates check constraint ${check.name}: ${check.expression}`)}
        from (select ord, ${columns.join(", ")} from ${s(entity)} where stage_status = 'ok') a
       where not coalesce(${check.expression}, true)`),
    );
  });
}

/**
 * Each unique index of the table (plain columns, maybe partial: emails among live users) over the
 * staged rows: duplicates within the file, and collisions with stored rows. Staged columns are
 * cast to the table's types (citext compares case-insensitively); a reference compares by
 * legacy id within the file and by the referenced row against the table.
 */
function uniqueStatements(schema: Schema): string[] {
  return ENTITY_NAMES.flatMap((entity) => {
    const def = schema[entity];
    const casts = new Map(def.fields.map((field) => [field.column, field.cast]));
    return def.uniques.flatMap((index) => {
      const staged = (c: Unique["columns"][number]) => {
        if (c.reference) return `${c.column}_legacy`;
        const cast = casts.get(c.column);
        return cast ? `${c.column}::${cast}` : c.column;
      };
      const stored = (c: Unique["columns"][number]) =>
        c.reference
          ? `(select l.new_id from app_private.legacy_ids l where l.entity = '${c.reference}' and l.legacy_id = a.${c.column}_legacy)`
          : `a.${staged(c)}`;
      const values = index.columns.map(staged);
      const key = values.length === 1 ? values[0]! : `(${values.join(", ")})`;
      // Named after the last column that is not a reference: a project's name, a user's email.
      const field = (index.columns.findLast((c) => !c.reference) ?? index.columns[0]!).key;
      const names = index.columns.map((c) => c.key).join(", ");
      return [
        duplicates(entity, field, index.predicate ? `case when ${index.predicate} then ${key} end` : key, `duplicate ${names} under unique index ${index.name}`),
        // Unqualified columns of the predicate name the staged row outside the subquery and the
        // stored row inside it.
        problem(entity, field, `select $E, a.ord, $F, ${literal(`${names} already used by another stored row (unique index ${index.name})`)}
          from ${s(entity)} a where a.stage_status = 'ok' ${index.predicate ? `and ${index.predicate}` : ""}
           and exists (select from ${def.table} t where ${index.columns.map((c) => `t.${c.column} = ${stored(c)}`).join(" and ")}
                         ${index.predicate ? `and ${index.predicate}` : ""} and t.${def.pk} is distinct from a.new_id)`),
      ];
    });
  });
}

function checkStatements(schema: Schema): string[] {
  const sql: string[] = constraintStatements(schema);
  for (const entity of ENTITY_NAMES) {
    const def = ENTITIES[entity];
    // Rows already imported by earlier batches, by legacy id.
    sql.push(`update ${s(entity)} t set new_id = l.new_id from app_private.legacy_ids l
      where l.entity = '${entity}' and l.legacy_id = t.legacy_id`);
    sql.push(duplicates(entity, "id", "legacy_id", "duplicate legacy id", false));
    for (const ref of def.references) {
      sql.push(problem(entity, ref.key, `select $E, a.ord, $F, format('dangling reference: no ${ref.entity} record with id %s', a.${ref.column}_json)
        from ${s(entity)} a where a.stage_status = 'ok' and a.${ref.column}_legacy is not null
          and not exists (select from ${s(ref.entity)} b where b.legacy_id = a.${ref.column}_legacy)
          and not exists (select from app_private.legacy_ids l where l.entity = '${ref.entity}' and l.legacy_id = a.${ref.column}_legacy)`));
    }
    sql.push(problem(entity, "created_at", `select $E, a.ord, $F, 'differs from the stored row''s created_at, which cannot change once a row exists'
      from ${s(entity)} a join ${def.table} t on t.${def.pk} = a.new_id
      where a.stage_status = 'ok' and a.created_at is not null and a.created_at <> t.created_at`));
    // Deleting, restoring or re-dating a stored row is an API action with an audit entry (and,
    // for a user, revoked credentials): the import only creates rows in the state the file gives.
    sql.push(problem(entity, "deleted_at", `select $E, a.ord, $F, 'differs from the stored row''s deleted_at; delete or restore the stored row through the API'
      from ${s(entity)} a join ${def.table} t on t.${def.pk} = a.new_id
      where a.stage_status = 'ok' and a.deleted_at is distinct from t.deleted_at`));
  }
  // The tables' unique indexes, in the file and against the stored rows (after the known
  // records got their rows' ids above, so that a record does not collide with itself).
  sql.push(...uniqueStatements(schema));
  // A job's project must belong to the job's user (trigger SGPRJ).
  sql.push(problem("ai_jobs", "project_id", `with owner as (
        select distinct on (legacy_id) legacy_id, user_id_legacy from ${s("projects")} where legacy_id is not null order by legacy_id, ord
      ), stored as (
        select lp.legacy_id, lu.legacy_id user_id_legacy from app_private.legacy_ids lp
          join app_public.projects t on t.project_id = lp.new_id
          join app_private.legacy_ids lu on lu.entity = 'users' and lu.new_id = t.user_id
         where lp.entity = 'projects')
    select $E, a.ord, $F, format('project %s belongs to another user than %s', a.project_id_json, a.user_id_json)
      from ${s("ai_jobs")} a left join owner o on o.legacy_id = a.project_id_legacy left join stored d on d.legacy_id = a.project_id_legacy
     where a.stage_status = 'ok' and (o.legacy_id is not null or d.legacy_id is not null)
       and coalesce(o.user_id_legacy, d.user_id_legacy) is distinct from a.user_id_legacy`));
  // A deleted session, or a session of a deleted user (in the file or stored), is revoked as of
  // that deletion, as deleting through the API would have done. `legacy.derived` tells export
  // that the value came from the import, not from the file, so it is not written back.
  sql.push(`update ${s("sessions")} a set revoked_at = d.deleted_at, legacy = a.legacy || '{"derived": ["revoked_at"]}'
    from (select a.ord, coalesce(a.deleted_at, f.deleted_at, t.deleted_at) deleted_at
            from ${s("sessions")} a
            left join (select distinct on (legacy_id) legacy_id, deleted_at from ${s("users")}
                        where legacy_id is not null order by legacy_id, ord) f on f.legacy_id = a.user_id_legacy
            left join app_private.legacy_ids l on l.entity = 'users' and l.legacy_id = a.user_id_legacy
            left join app_public.users t on t.user_id = l.new_id
           where a.stage_status = 'ok' and a.revoked_at is null) d
   where a.ord = d.ord and d.deleted_at is not null`);
  sql.push(problem("sessions", "revoked_at", `select $E, a.ord, $F, 'the stored session is revoked; a revoked session cannot be reactivated'
    from ${s("sessions")} a join app_public.sessions t on t.session_id = a.new_id
    where a.stage_status = 'ok' and t.revoked_at is not null and a.revoked_at is null`));
  for (const entity of ENTITY_NAMES) {
    sql.push(`update ${s(entity)} a set stage_status = 'rejected'
      where a.stage_status = 'ok' and exists (select from import_stage_problems p where p.entity = '${entity}' and p.ord = a.ord)`);
  }
  return sql;
}

/** Marks dependants of rows that will not be imported as 'skipped' (skip mode), in dependency order. */
function cascadeStatements(): string[] {
  const sql: string[] = [];
  for (const entity of ENTITY_NAMES) {
    for (const ref of ENTITIES[entity].references) {
      sql.push(`update ${s(entity)} a set stage_status = 'skipped', stage_reason = format('depends on ${ref.entity}[%s], which is not imported', b.ord)
        from (select legacy_id, min(ord) ord from ${s(ref.entity)} where stage_status <> 'ok' and legacy_id is not null group by legacy_id) b
        where a.stage_status = 'ok' and a.${ref.column}_legacy = b.legacy_id
          and not exists (select from ${s(ref.entity)} c where c.legacy_id = b.legacy_id and c.stage_status = 'ok')`);
    }
  }
  return sql;
}

export async function runChecks(client: pg.ClientBase, schema: Schema, skip: boolean): Promise<void> {
  for (const statement of checkStatements(schema)) await client.query(statement);
  if (skip) for (const statement of cascadeStatements()) await client.query(statement);
}

/** Problem lines found in SQL, in file order, at most `limit`. */
export async function sqlProblems(client: pg.ClientBase, limit: number): Promise<{ lines: string[]; total: number }> {
  const order = `array_position(array['users','projects','ai_jobs','sessions'], entity), ord, field`;
  const { rows } = await client.query<{ line: string }>(
    `select format('%s[%s].%s: %s', entity, ord, field, message) as line from import_stage_problems order by ${order} limit $1`,
    [limit],
  );
  const { rows: [count] } = await client.query<{ n: string }>("select count(*) n from import_stage_problems");
  return { lines: rows.map((row) => row.line), total: Number(count!.n) };
}

export async function skippedLines(client: pg.ClientBase, limit: number): Promise<string[]> {
  const parts = ENTITY_NAMES.map((entity, i) => `select ${i} e, ord, format('%s[%s]: skipped: %s', '${entity}', ord, stage_reason) line from ${s(entity)} where stage_status = 'skipped'`);
  const { rows } = await client.query<{ line: string }>(`select line from (${parts.join(" union all ")}) x order by e, ord limit $1`, [limit]);
  return rows.map((row) => row.line);
}
