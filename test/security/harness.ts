// Shared set-up for the security suites: a database with the demo data plus test/security/
// fixtures.sql, a gateway, and a model of the API read from introspection (as admin) and the
// catalog, so that checks run over every exposed table without naming them.
import fs from "node:fs";
import type pg from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

export const ADMIN = "00000000-0000-4000-8000-000000000001";
export const OPS = "00000000-0000-4000-8000-000000000002";
export const ALICE = "00000000-0000-4000-8000-000000000003";
export const BOB = "00000000-0000-4000-8000-000000000004";

export interface Harness {
  db: TestDatabase;
  gateway: TestGateway;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const db = await createTestDatabase();
  await db.ownerPool.query(fs.readFileSync("sql/seeds/demo.sql", "utf8"));
  await db.ownerPool.query(fs.readFileSync(new URL("./fixtures.sql", import.meta.url), "utf8"));
  const gateway = await startTestGateway(db, env);
  return { db, gateway };
}

// ---------------------------------------------------------------------------------------------
// Introspection

export interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
export interface Field {
  name: string;
  args: { name: string; type: TypeRef }[];
  type: TypeRef;
}
export interface FullType {
  kind: string;
  name: string;
  fields: Field[] | null;
  inputFields: { name: string; type: TypeRef }[] | null;
  enumValues: { name: string }[] | null;
}

const TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";
export const INTROSPECTION = `{ __schema {
  queryType { name } mutationType { name }
  types { kind name
    fields(includeDeprecated: true) { name args { name type { ${TYPE_REF} } } type { ${TYPE_REF} } }
    inputFields { name type { ${TYPE_REF} } }
    enumValues(includeDeprecated: true) { name }
  }
} }`;

export function named(ref: TypeRef): TypeRef {
  let current = ref;
  while (current.ofType) current = current.ofType;
  return current;
}
export const isRequired = (ref: TypeRef) => ref.kind === "NON_NULL";

export const norm = (name: string) => name.replace(/_/g, "").toLowerCase();

export interface TableModel {
  table: string;
  typeName: string;
  connection: string;
  /** Scalar and enum fields without required arguments (computed columns included). */
  scalarFields: string[];
  /** GraphQL field -> SQL column, for the fields that are plain columns. */
  columnOf: Record<string, string>;
  /** Primary key: lookup argument names and their columns. */
  pk: { field: string; column: string }[];
  lookup: string;
  byId: string;
  relations: { field: string; typeName: string; connection: boolean }[];
  connectionType: FullType;
  columns: string[];
}

export interface ApiModel {
  types: Map<string, FullType>;
  query: FullType;
  mutation: FullType;
  tables: TableModel[];
  byType: Map<string, TableModel>;
  /** app_public tables that no root connection exposes. */
  unexposed: string[];
}

export async function loadModel(gateway: TestGateway, pool: pg.Pool): Promise<ApiModel> {
  const response = await gateway.graphql(INTROSPECTION, {}, await gateway.as(ADMIN, "admin"));
  if (response.status !== 200 || response.body.errors) throw new Error(`introspection failed: ${JSON.stringify(response.body.errors)}`);
  const schema = response.body.data.__schema;
  const types = new Map<string, FullType>(schema.types.map((type: FullType) => [type.name, type]));
  const query = types.get(schema.queryType.name)!;
  const mutation = types.get(schema.mutationType.name)!;

  const { rows } = await pool.query<{ table: string; columns: string[] }>(
    `select c.relname as table, array_agg(a.attname::text order by a.attnum) as columns
       from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where c.relnamespace = 'app_public'::regnamespace and c.relkind in ('r', 'p')
      group by c.relname order by c.relname`,
  );

  const tables: TableModel[] = [];
  const unexposed: string[] = [];
  for (const { table, columns } of rows) {
    const connectionField = query.fields!.find((field) => {
      const type = types.get(named(field.type).name!)!;
      if (!type.name.endsWith("Connection") || !type.fields?.some((f) => f.name === "nodes")) return false;
      const nodeType = named(type.fields.find((f) => f.name === "nodes")!.type).name!;
      const t = norm(nodeType);
      return [t, `${t}s`, `${t}es`, t.replace(/y$/, "ies")].includes(norm(table));
    });
    if (!connectionField) {
      unexposed.push(table);
      continue;
    }
    const connectionType = types.get(named(connectionField.type).name!)!;
    const typeName = named(connectionType.fields!.find((f) => f.name === "nodes")!.type).name!;
    const type = types.get(typeName)!;
    const columnByNorm = new Map(columns.map((column) => [norm(column), column]));
    const columnOf: Record<string, string> = {};
    const scalarFields: string[] = [];
    const relations: TableModel["relations"] = [];
    for (const field of type.fields!) {
      if (field.args.some((arg) => isRequired(arg.type))) continue;
      const target = types.get(named(field.type).name!)!;
      if (target.kind === "SCALAR" || target.kind === "ENUM") {
        scalarFields.push(field.name);
        // A bare `id` column is renamed by a smart tag to <type>Id (budgetId, apiKeyId, ...).
        const column = columnByNorm.get(norm(field.name)) ?? (norm(field.name) === norm(`${typeName}Id`) && columns.includes("id") ? "id" : undefined);
        if (column) columnOf[field.name] = column;
      } else if (target.kind === "OBJECT" && target.name.endsWith("Connection") && target.fields?.some((f) => f.name === "nodes")) {
        relations.push({ field: field.name, typeName: named(target.fields.find((f) => f.name === "nodes")!.type).name!, connection: true });
      } else if (target.kind === "OBJECT" && target.fields?.some((f) => f.name === "id") && target.name !== query.name) {
        relations.push({ field: field.name, typeName: target.name, connection: false });
      }
    }
    const lookupName = typeName[0]!.toLowerCase() + typeName.slice(1);
    const lookup = query.fields!.find((field) => field.name === lookupName);
    if (!lookup) throw new Error(`no primary key lookup ${lookupName} for table ${table}`);
    tables.push({
      table,
      typeName,
      connection: connectionField.name,
      scalarFields,
      columnOf,
      pk: lookup.args.map((arg) => ({ field: arg.name, column: columnOf[arg.name]! })),
      lookup: lookupName,
      byId: `${lookupName}ById`,
      relations,
      connectionType,
      columns,
    });
  }
  const byType = new Map(tables.map((table) => [table.typeName, table]));
  // Keep only relations to table types (not e.g. payload or aggregate objects).
  for (const table of tables) table.relations = table.relations.filter((relation) => byType.has(relation.typeName));
  return { types, query, mutation, tables, byType, unexposed };
}

// ---------------------------------------------------------------------------------------------
// Database side

/** Which rows of a table a given identity may see, in SQL as the owner (RLS bypassed). */
export type Audience = { kind: "user"; userId: string } | { kind: "all-live" } | { kind: "all" };

/**
 * Extra conditions the spec puts on what a user reads of their own rows, beyond "live and mine".
 * recommendations: users read only the ones an operator approved (CONVENTIONS/migration 1700).
 */
export const USER_VISIBILITY: Record<string, string> = {
  recommendations: "status = 'approved'",
};

/** Platform-wide figures, rows of no user: operators and admins read them, users none. */
export const PLATFORM_TABLES = new Set(["platform_daily_spend"]);

export function ownerColumn(table: TableModel): string {
  if (!table.columns.includes("user_id")) throw new Error(`table ${table.table} has no user_id: teach the security suite how its rows are owned`);
  return "user_id";
}

export function visibleWhere(table: TableModel, audience: Audience): { where: string; params: unknown[] } {
  if (audience.kind === "all") return { where: "true", params: [] };
  if (audience.kind === "all-live") return { where: "deleted_at is null", params: [] };
  if (PLATFORM_TABLES.has(table.table)) return { where: "false", params: [] };
  const extra = USER_VISIBILITY[table.table] ? ` and (${USER_VISIBILITY[table.table]})` : "";
  return { where: `${ownerColumn(table)} = $1 and deleted_at is null${extra}`, params: [audience.userId] };
}

/** The primary keys (as text, joined with ",") of the rows the audience may see. */
export async function expectedKeys(pool: pg.Pool, table: TableModel, audience: Audience): Promise<string[]> {
  const { where, params } = visibleWhere(table, audience);
  const key = table.pk.map((pk) => `${pk.column}::text`).join(" || ',' || ");
  const { rows } = await pool.query(`select ${key} as key from app_public.${table.table} where ${where}`, params);
  return rows.map((row) => row.key as string).sort();
}

export const keyOf = (table: TableModel, node: Record<string, unknown>) => table.pk.map((pk) => String(node[pk.field])).join(",");

/** A fingerprint of every app_public table and the soft-delete log. */
export async function checksums(pool: pg.Pool): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ relname: string }>(
    `select relname from pg_class where relnamespace = 'app_public'::regnamespace and relkind in ('r', 'p') order by relname`,
  );
  const result: Record<string, string> = {};
  for (const { relname } of rows) {
    const { rows: sums } = await pool.query(`select count(*)::text || ':' || md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as sum from app_public.${relname} t`);
    result[relname] = sums[0].sum;
  }
  const { rows: log } = await pool.query("select count(*)::text as n from app_private.soft_delete_log");
  result["app_private.soft_delete_log"] = log[0].n;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Error hygiene

/** SQL text, internal identifiers or stack traces that must never reach a client. */
export const LEAK_PATTERNS: RegExp[] = [
  /\bselect\s/i,
  /\bfrom\s+"?app_(public|private)"?/i,
  /\binsert into\b/i,
  /\bupdate\s+"?app_public/i,
  /__local_\d+__/,
  /\bat .+\.(ts|js):\d+/,
  /node_modules/,
  /\bstack\b/i,
];

/**
 * Patterns from LEAK_PATTERNS found in a response's errors (row data is not checked). `echoes`
 * are the client's own input values: an error quoting them back ("got invalid value ...") is fine.
 */
export function leaks(body: { errors?: unknown }, echoes: string[] = []): string[] {
  let text = JSON.stringify(body.errors ?? []);
  for (const echo of echoes) text = text.split(JSON.stringify(echo).slice(1, -1)).join("<input>").split(echo).join("<input>");
  return LEAK_PATTERNS.filter((pattern) => pattern.test(text)).map(String);
}
