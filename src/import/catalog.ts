// What each mapped column accepts, read from the catalog when an import or export starts: its
// type (enum labels in order, numeric precision and scale), NOT NULL, its default, and the
// table's check constraints and unique indexes over mapped columns (checks.ts runs them on the
// staged rows, so the report names the record). A DBA who
// adds an enum value or changes a default changes what the importer accepts and fills in, with
// no edit here. A mapped column the importer cannot read (dropped, or of a type it does not know)
// stops the import with its name before anything is read.
import type pg from "pg";
import * as k from "./fields.ts";
import { ENTITIES, ENTITY_NAMES, type Entity, type EntityName, type FieldShape } from "./entities.ts";

export interface Field extends FieldShape {
  kind: k.Kind;
  /** Staging column type (enums and citext are staged as text and cast when merged). */
  sqlType: string;
  cast?: string;
  notNull: boolean;
  /** NOT NULL without a default: the record must give it. */
  required: boolean;
  /** Canonical text of a constant default, which an absent field gets; null when there is none. */
  absent: string | null;
  /** A default the database computes per row (now()): an absent field is left to it. */
  fill?: string;
}

/** A check constraint of the table whose columns are all mapped fields. */
export interface Check {
  name: string;
  expression: string;
  /** The field the report names: the constraint's first column. */
  key: string;
}

/** A unique index of the table over mapped fields and references (plain columns, maybe partial). */
export interface Unique {
  name: string;
  columns: { column: string; key: string; reference?: EntityName }[];
  /** The index's WHERE, over the table's column names (which the staging tables share). */
  predicate: string | null;
}

export interface ResolvedEntity extends Omit<Entity, "fields"> {
  fields: Field[];
  checks: Check[];
  uniques: Unique[];
}
export type Schema = Record<EntityName, ResolvedEntity>;

interface ColumnRow {
  table_name: string;
  column_name: string;
  type: string;
  base: string;
  is_enum: boolean;
  labels: string[] | null;
  num_precision: number | null;
  num_scale: number | null;
  not_null: boolean;
  default_expr: string | null;
}

// A default that is a literal, possibly cast ('user'::app_public.user_role, '{}'::jsonb, 0,
// false) is the same for every row: an absent field gets it and export leaves it out again. Any
// other default (now(), a function) is computed by the database per row.
const LITERAL = /^(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false)(?:::[\w." ]+(?:\(\d+(?:,\d+)?\))?(?:\[\])?)*$/;

const COLUMNS_SQL = `
  select c.oid::regclass::text table_name, a.attname column_name,
         format_type(a.atttypid, a.atttypmod) type, t.typname base, t.typtype = 'e' is_enum,
         (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) labels,
         case when t.typname = 'numeric' and a.atttypmod >= 4 then ((a.atttypmod - 4) >> 16) & 65535 end num_precision,
         case when t.typname = 'numeric' and a.atttypmod >= 4 then (a.atttypmod - 4) & 65535 end num_scale,
         a.attnotnull not_null, pg_get_expr(d.adbin, d.adrelid) default_expr
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_type t on t.oid = a.atttypid
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
   where c.oid = any($1::regclass[]) and a.attnum > 0 and not a.attisdropped`;

const CHECKS_SQL = `
  select c.conrelid::regclass::text table_name, c.conname name, pg_get_expr(c.conbin, c.conrelid) expression,
         array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, i)
                 join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.i) columns
    from pg_constraint c
   where c.conrelid = any($1::regclass[]) and c.contype = 'c'
   order by c.conname`;

const UNIQUES_SQL = `
  select i.indrelid::regclass::text table_name, c.relname name, pg_get_expr(i.indpred, i.indrelid) predicate,
         array(select a.attname::text from unnest(i.indkey::int2[]) with ordinality k(attnum, n)
                 join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.n) columns
    from pg_index i join pg_class c on c.oid = i.indexrelid
   where i.indrelid = any($1::regclass[]) and i.indisunique and not i.indisprimary and i.indexprs is null
   order by c.relname`;

function kindOf(column: ColumnRow, where: string): k.Kind {
  if (column.is_enum) return k.enumeration(column.labels ?? []);
  switch (column.base) {
    case "text":
    case "citext":
      return k.text();
    case "numeric":
      if (column.num_precision === null || column.num_scale === null) throw new Error(`${where}: numeric without a precision is not supported by the importer`);
      return k.decimal(column.num_precision, column.num_scale);
    case "int8":
      return k.bigint();
    case "bool":
      return k.boolean();
    case "jsonb":
      return k.json();
    case "timestamptz":
      return k.timestamp();
    default:
      throw new Error(`${where}: the importer cannot read a column of type ${column.type}`);
  }
}

/** The mapped columns of every entity, as the connected database defines them. */
export async function readSchema(client: pg.ClientBase): Promise<Schema> {
  const tables = ENTITY_NAMES.map((name) => ENTITIES[name].table);
  const { rows } = await client.query<ColumnRow>(COLUMNS_SQL, [tables]);
  const byName = new Map(rows.map((row) => [`${row.table_name}.${row.column_name}`, row]));
  const resolved = ENTITY_NAMES.map((name) => {
    const entity = ENTITIES[name];
    return entity.fields.map((shape) => {
      const where = `${entity.table}.${shape.column}`;
      const column = byName.get(where);
      if (!column) throw new Error(`${where}: the importer maps this column, but the table has no such column`);
      const kind = kindOf(column, where);
      const staged = column.is_enum || column.base === "citext";
      const constant = column.default_expr !== null && LITERAL.test(column.default_expr);
      const field: Field = {
          ...shape,
          kind,
          sqlType: staged ? "text" : column.base === "numeric" ? "numeric" : column.type,
          cast: staged ? column.type : undefined,
          notNull: column.not_null,
          required: column.not_null && column.default_expr === null,
          absent: null,
          fill: column.default_expr !== null && !constant ? column.default_expr : undefined,
      };
      // The default as the importer's canonical text, computed by the database itself.
      return { field, defaultSql: constant ? kind.sql(`(${column.default_expr})`) : undefined };
    });
  });
  const defaults = resolved.flat().filter((f) => f.defaultSql);
  if (defaults.length) {
    const { rows: [values] } = await client.query<Record<string, string | null>>(
      `select ${defaults.map((f, i) => `${f.defaultSql} as d${i}`).join(", ")}`,
    );
    defaults.forEach((f, i) => (f.field.absent = values![`d${i}`] ?? null));
  }
  const { rows: checks } = await client.query<{ table_name: string; name: string; expression: string; columns: string[] }>(CHECKS_SQL, [tables]);
  const { rows: uniques } = await client.query<{ table_name: string; name: string; predicate: string | null; columns: string[] }>(UNIQUES_SQL, [tables]);
  return Object.fromEntries(
    ENTITY_NAMES.map((name, i) => {
      const fields = resolved[i]!.map((f) => f.field);
      const keyOf = new Map(fields.map((field) => [field.column, field.key]));
      const own = checks
        .filter((check) => check.table_name === ENTITIES[name].table && check.columns.every((column) => keyOf.has(column)))
        .map((check) => ({ name: check.name, expression: check.expression, key: keyOf.get(check.columns[0]!)! }));
      const columnOf = new Map<string, Unique["columns"][number]>([
        ...fields.map((field) => [field.column, { column: field.column, key: field.key }] as const),
        ...ENTITIES[name].references.map((ref) => [ref.column, { column: ref.column, key: ref.key, reference: ref.entity }] as const),
      ]);
      const indexes = uniques
        .filter((index) => index.table_name === ENTITIES[name].table && index.columns.every((column) => columnOf.has(column)))
        .map((index) => ({ name: index.name, predicate: index.predicate, columns: index.columns.map((column) => columnOf.get(column)!) }));
      return [name, { ...ENTITIES[name], fields, checks: own, uniques: indexes }];
    }),
  ) as Schema;
}
