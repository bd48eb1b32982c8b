// Which API role may write which column, read from the database's own grants (the introspection
// PostGraphile already made at start-up), and the check that refuses a write before any SQL
// runs. The schema is built from what spendgate_admin may do (src/graphql/preset.ts), so an input
// can offer a field that a user may not set; without this check the whole statement would fail
// with PostgreSQL's bare "permission denied for table ...", which names neither the field nor
// the role. Rows (whose row it is) stay for row-level security to decide.
import { context, SafeError, sideEffect, type Step } from "postgraphile/grafast";
import type { PgResource } from "postgraphile/@dataplan/pg";
import { entityPermissions, type Introspection, type PgAttribute, type PgClass } from "postgraphile/graphile-build-pg/pg-introspection";
import { API_ROLES, type ApiRole, type Identity } from "../auth/identity.ts";

export const COLUMN_REFUSED = "SGCOL";
export const NOT_AUTHENTICATED = "SGANO";

export type WriteOperation = "insert" | "update";
export type WritableBy = Record<WriteOperation, ApiRole[]>;

declare global {
  namespace DataplanPg {
    interface PgCodecAttributeExtensions {
      /** The API roles holding INSERT / UPDATE on this column (directly, via the table, or inherited). */
      writableBy?: WritableBy;
    }
  }
}

/** The API roles that may insert and update `attribute`, as PostgreSQL would decide for `set role`. */
export function writableBy(introspection: Introspection, pgClass: PgClass, attribute: PgAttribute): WritableBy {
  const result: WritableBy = { insert: [], update: [] };
  for (const roleName of API_ROLES) {
    const role = introspection.roles.find((candidate) => candidate.rolname === roleName);
    if (!role) continue;
    const onTable = entityPermissions(introspection, pgClass, role, false);
    const onColumn = entityPermissions(introspection, attribute, role, false);
    if (onTable.insert || onColumn.insert) result.insert.push(roleName);
    if (onTable.update || onColumn.update) result.update.push(roleName);
  }
  return result;
}

export const roleName = (role: ApiRole): string => role.replace(/^spendgate_/, "");

export interface WriteTarget {
  resource: PgResource<any, any, any, any, any>;
  operation: WriteOperation;
  /** GraphQL field name -> column name, for the fields of the input object. */
  columnsByField: Map<string, string>;
  /** The input object's type name, for messages (`BudgetInput`, `BudgetPatch`). */
  inputTypeName: string;
}

/** Why `role` may not write `fields` (keys present in the input) to the target; null when it may. */
export function refusal(target: WriteTarget, role: ApiRole, fields: Record<string, unknown> | null | undefined): SafeError | null {
  const attributes = target.resource.codec.attributes as Record<string, { extensions?: { writableBy?: WritableBy } }>;
  const allowed = (column: string) => attributes[column]?.extensions?.writableBy?.[target.operation].includes(role) ?? false;
  for (const [field, value] of Object.entries(fields ?? {})) {
    const column = target.columnsByField.get(field);
    if (value === undefined || !column || allowed(column)) continue;
    return denied(role, `may not set ${target.inputTypeName}.${field}`);
  }
  if (!Object.keys(attributes).some(allowed)) {
    return denied(role, `may not ${target.operation === "insert" ? "create" : "change"} ${target.inputTypeName.replace(/(Input|Patch)$/, "")} rows`);
  }
  return null;
}

function denied(role: ApiRole, what: string): SafeError {
  if (role === "spendgate_anonymous") return new SafeError(`log in first: role anonymous ${what}`, { code: NOT_AUTHENTICATED });
  return new SafeError(`role ${roleName(role)} ${what}`, { code: COLUMN_REFUSED });
}

/**
 * Plans the check for `$fields` (the raw input object). Call it before planning the write: steps
 * planned after a side effect depend on it, so a refusal stops the mutation before its SQL.
 */
export function assertMayWrite(target: WriteTarget, $fields: Step): void {
  const $identity = context().get("identity") as Step<Identity>;
  sideEffect([$identity, $fields], ([identity, fields]) => {
    const error = refusal(target, identity.role, fields as Record<string, unknown>);
    if (error) throw error;
  });
}
