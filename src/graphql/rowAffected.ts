// Mutations that change one row by its key answer with an error when no row was changed, instead
// of a silent null: the row does not exist, is soft-deleted, or row-level security hides it from
// the caller. The three cases get the same answer on purpose, so nothing leaks about other users.
import { SafeError, sideEffect } from "postgraphile/grafast";
import type { PgResource } from "postgraphile/@dataplan/pg";

export const NOTHING_CHANGED = "SGNFD";

/** Registers a check on `$row` (a pgUpdateSingle step) that fails the mutation when it matched nothing. */
export function assertRowChanged($row: { get(attribute: string): any }, resource: PgResource<any, any, any, any, any>, typeName: string, verb: string): void {
  const primaryKey = (resource.uniques as { isPrimary?: boolean; attributes: string[] }[]).find((unique) => unique.isPrimary)!;
  sideEffect($row.get(primaryKey.attributes[0]!), (key) => {
    if (key == null) throw new SafeError(`no ${typeName} with this id that you may ${verb}`, { code: NOTHING_CHANGED });
  });
}
