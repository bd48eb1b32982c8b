// Applies the definition files of sql/ (see plan.ts) and remembers what each one defined.
//
// `public.sql_definitions`, next to db-migrate's `migrations` table and like it never exposed,
// has one row per applied file: its name, the migration it is placed after, its SHA-256, when it
// was applied, and the functions, views and triggers it defined. Those are read from the catalog
// right after the file ran, in its transaction: every catalog row that `create or replace`,
// `comment` or `grant` wrote in this transaction (or its subtransactions) has age(xmin) <= 0.
//
// That record is what makes files safe to change and to roll back:
// * each function, view and trigger is defined by one file only: a second file defining it is
//   an error (unless the first is being changed too, or was removed: then it moves);
// * what a file defined before and no longer defines (a renamed function, the old argument list
//   of a changed one, a trigger taken out) is "retired" and dropped at the end of the run,
//   unless another file defines it by then;
// * before a migration's down runs, the objects of the files placed after it are dropped
//   (triggers, then views, then functions; without cascade, so an unexpected dependency fails).
import type pg from "pg";
import type { DefinitionStep } from "./plan.ts";
import { lineAt, type SqlStatement } from "./sqlStatements.ts";

export const DEFINITIONS_TABLE = "public.sql_definitions";

export interface DefinitionRecord {
  file: string;
  afterMigration: string;
  sha256: string;
  /** "function <regprocedure>", "view <regclass>" or "trigger <name> on <regclass>", in drop order. */
  objects: string[];
  /** Defined by an earlier version of the file only; dropped at the end of the run. */
  retired: string[];
}

/** The definition files of one database, as recorded, and the files on disk (name -> SHA-256). */
export interface DefinitionState {
  records: Map<string, DefinitionRecord>;
  onDisk: Map<string, string>;
  /** How messages name a file, e.g. sql/3200-submit-request.sql. */
  label(file: string): string;
}

/** A definition file that failed or cannot be applied; nothing of it was applied. */
export class DefinitionError extends Error {}

type Query = (sql: string) => Promise<{ rows: Record<string, unknown>[] }>;

export async function readDefinitionRecords(query: Query): Promise<Map<string, DefinitionRecord>> {
  try {
    const { rows } = await query(`select file, after_migration, sha256, objects, retired from ${DEFINITIONS_TABLE} order by file`);
    return new Map(
      rows.map((row) => [
        row.file as string,
        {
          file: row.file as string,
          afterMigration: row.after_migration as string,
          sha256: row.sha256 as string,
          objects: row.objects as string[],
          retired: row.retired as string[],
        },
      ]),
    );
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return new Map(); // no file applied yet
    throw error;
  }
}

/** Files of sql/ not applied in their current version, and recorded files gone from sql/. */
export function pendingDefinitionFiles(state: Omit<DefinitionState, "label">): string[] {
  const changed = [...state.onDisk].filter(([file, sha256]) => state.records.get(file)?.sha256 !== sha256).map(([file]) => file);
  const removed = [...state.records.values()].filter((record) => !state.onDisk.has(record.file) || record.retired.length > 0).map((record) => record.file);
  return [...new Set([...changed, ...removed])].sort();
}

const CREATE_TABLE = `
create table ${DEFINITIONS_TABLE} (
  file text primary key,
  after_migration text not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  objects text[] not null default '{}',
  retired text[] not null default '{}',
  applied_at timestamptz not null default now()
);
comment on table ${DEFINITIONS_TABLE} is
  'Definition files of sql/ applied by the Spendgate migration runner (src/database/definitions.ts), with the functions, views and triggers each one defined.';
revoke all on table ${DEFINITIONS_TABLE} from public`;

// What the current transaction created or changed, ordered for dropping: triggers, then views,
// then routines; within each, the newest first.
const OBJECTS_OF_THIS_TRANSACTION = `
select kind || ' ' || identity as object from (
  select 1 as rank, t.oid, 'trigger' as kind,
         pg_catalog.format('%I on %s', t.tgname, t.tgrelid::pg_catalog.regclass) as identity
    from pg_catalog.pg_trigger t
   where not t.tgisinternal and pg_catalog.age(t.xmin) <= 0
  union all
  select 2, c.oid, 'view', c.oid::pg_catalog.regclass::text
    from pg_catalog.pg_class c
   where c.relkind = 'v'
     and (pg_catalog.age(c.xmin) <= 0
          or exists (select from pg_catalog.pg_rewrite r where r.ev_class = c.oid and pg_catalog.age(r.xmin) <= 0))
  union all
  select 3, p.oid, case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end,
         p.oid::pg_catalog.regprocedure::text
    from pg_catalog.pg_proc p
   where pg_catalog.age(p.xmin) <= 0
     and p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace
) o
order by rank, oid desc`;

const KIND_ORDER = ["trigger", "view", "procedure", "aggregate", "function"];
const kindOf = (object: string) => object.slice(0, object.indexOf(" "));

/** Orders objects for dropping: triggers, then views, then routines, keeping their order within each kind. */
export function dropOrder(objects: string[]): string[] {
  const rank = (object: string) => KIND_ORDER.indexOf(kindOf(object));
  return objects
    .map((object, index) => ({ object, index }))
    .sort((a, b) => rank(a.object) - rank(b.object) || a.index - b.index)
    .map((entry) => entry.object);
}

const without = (list: string[], remove: string[]) => list.filter((item) => !remove.includes(item));

/**
 * Runs one definition file in its own transaction and records it (`state.records` is updated).
 * On any error the transaction is rolled back and a DefinitionError names the file, the line and
 * the statement.
 */
export async function applyDefinition(client: pg.ClientBase, state: DefinitionState, step: DefinitionStep): Promise<string[]> {
  await client.query("begin");
  try {
    const { rows } = await client.query(`select pg_catalog.to_regclass('${DEFINITIONS_TABLE}') is null as missing`);
    if (rows[0].missing) await client.query(CREATE_TABLE);
    for (const statement of step.statements) await runStatement(client, step, statement);
    await client.query("set local search_path = pg_catalog");
    const objects = (await client.query<{ object: string }>(OBJECTS_OF_THIS_TRANSACTION)).rows.map((row) => row.object);

    const changedOthers: DefinitionRecord[] = [];
    for (const other of state.records.values()) {
      if (other.file === step.file) continue;
      const defined = other.objects.filter((object) => objects.includes(object));
      if (defined.length > 0 && state.onDisk.get(other.file) === other.sha256) {
        throw new DefinitionError(
          `${step.label}: ${defined.join(", ")} ${defined.length > 1 ? "are" : "is"} already defined by ${state.label(other.file)}; ` +
            "a function, view or trigger is created, commented on and granted by one file only. Nothing of it was applied",
        );
      }
      const retired = other.retired.filter((object) => objects.includes(object));
      // Defined by a file that is changed too (and runs later) or was removed: it moves here.
      if (defined.length > 0 || retired.length > 0) {
        changedOthers.push({ ...other, objects: without(other.objects, defined), retired: without(other.retired, retired) });
      }
    }
    const previous = state.records.get(step.file);
    const retired = without([...new Set([...(previous?.objects ?? []), ...(previous?.retired ?? [])])], objects);
    const record: DefinitionRecord = { file: step.file, afterMigration: step.after, sha256: step.sha256, objects, retired };

    for (const other of changedOthers) {
      await client.query(`update ${DEFINITIONS_TABLE} set objects = $2, retired = $3 where file = $1`, [other.file, other.objects, other.retired]);
    }
    await client.query(
      `insert into ${DEFINITIONS_TABLE} (file, after_migration, sha256, objects, retired) values ($1, $2, $3, $4, $5)
       on conflict (file) do update set after_migration = excluded.after_migration, sha256 = excluded.sha256,
         objects = excluded.objects, retired = excluded.retired, applied_at = now()`,
      [record.file, record.afterMigration, record.sha256, record.objects, record.retired],
    );
    await client.query("commit");
    for (const other of changedOthers) state.records.set(other.file, other);
    state.records.set(step.file, record);
    return objects;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}

async function runStatement(client: pg.ClientBase, step: DefinitionStep, statement: SqlStatement): Promise<void> {
  try {
    await client.query(statement.text);
  } catch (error) {
    const { message, position, where } = error as { message: string; position?: string; where?: string };
    const line = statement.line + (position ? lineAt(statement.text, Number(position) - 1) - 1 : 0);
    const context = where ? ` (${where.split("\n")[0]})` : "";
    throw new DefinitionError(
      `${step.label}:${line}: ${message}${context}, in the statement starting on line ${statement.line}: ` +
        `${statement.text.split("\n", 1)[0]}. Nothing of ${step.label} was applied`,
      { cause: error },
    );
  }
}

/**
 * Drops objects and forgets records in one transaction: every trigger first, then views, then
 * routines, `objects` in the order given. Without cascade: something still depending on one of
 * them (a policy, a column default, another file's trigger) makes it fail, naming both.
 */
async function dropAndForget(
  client: pg.ClientBase,
  objects: { object: string; file: string }[],
  forget: string[],
  keep: DefinitionRecord[],
  label: (file: string) => string,
): Promise<void> {
  if (objects.length === 0 && forget.length === 0 && keep.length === 0) return;
  const fileOf = new Map(objects.map(({ object, file }) => [object, file]));
  await client.query("begin");
  try {
    for (const object of dropOrder(objects.map((entry) => entry.object))) {
      const space = object.indexOf(" ");
      try {
        await client.query(`drop ${object.slice(0, space)} if exists ${object.slice(space + 1)}`);
      } catch (error) {
        throw new DefinitionError(`${label(fileOf.get(object)!)}: could not drop ${object}: ${(error as Error).message}`, { cause: error });
      }
    }
    if (forget.length > 0) await client.query(`delete from ${DEFINITIONS_TABLE} where file = any ($1)`, [forget]);
    for (const record of keep) await client.query(`update ${DEFINITIONS_TABLE} set retired = '{}' where file = $1`, [record.file]);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}

/** Sorts records the way the plan placed them, last first. */
const lastPlacedFirst = (a: DefinitionRecord, b: DefinitionRecord) =>
  b.afterMigration.localeCompare(a.afterMigration) || b.file.localeCompare(a.file);

/**
 * For a rollback: drops everything the files placed after `migration` (or at it) defined and
 * forgets them. Returns the files, last placed first.
 */
export async function dropDefinitionsAfter(client: pg.ClientBase, state: DefinitionState, migration: string): Promise<string[]> {
  const files = [...state.records.values()].filter((record) => record.afterMigration >= migration).sort(lastPlacedFirst);
  const objects = files.flatMap((record) => [...record.objects, ...record.retired].map((object) => ({ object, file: record.file })));
  await dropAndForget(client, objects, files.map((record) => record.file), [], state.label);
  for (const record of files) state.records.delete(record.file);
  return files.map((record) => record.file);
}

/**
 * End of an up run: drops what no file defines any more: retired objects, and everything of
 * recorded files that are gone from sql/. Returns the objects dropped.
 */
export async function dropRetiredDefinitions(client: pg.ClientBase, state: DefinitionState): Promise<string[]> {
  const records = [...state.records.values()].sort(lastPlacedFirst);
  const gone = records.filter((record) => !state.onDisk.has(record.file));
  const retiring = records.filter((record) => state.onDisk.has(record.file) && record.retired.length > 0);
  const objects = [
    ...gone.flatMap((record) => [...record.objects, ...record.retired].map((object) => ({ object, file: record.file }))),
    ...retiring.flatMap((record) => record.retired.map((object) => ({ object, file: record.file }))),
  ];
  await dropAndForget(client, objects, gone.map((record) => record.file), retiring, state.label);
  for (const record of gone) state.records.delete(record.file);
  for (const record of retiring) state.records.set(record.file, { ...record, retired: [] });
  return objects.map((entry) => entry.object);
}
