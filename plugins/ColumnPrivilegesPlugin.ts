// ColumnPrivilegesPlugin: a generated create or update mutation refuses, before any SQL runs, an
// input field the caller's role may not write: `SGCOL` "role user may not set
// BudgetInput.periodEnd" (`SGANO` for anonymous callers, who may write nothing). The API is one
// schema for every role, built from what admins may do, so an input can offer a field that only
// admins (or only the database's own functions) write; PostgreSQL would refuse the whole
// statement with "permission denied for table budgets", naming neither the field nor the role.
// Who may write what is not a list kept here: at start-up, every column of every exposed table
// is annotated with the API roles that hold INSERT / UPDATE on it (from the grants PostGraphile
// introspects). Columns that no API role may write never appear in an input (PostGraphile's own
// RBAC behaviours); whose row it is stays for row-level security to decide.
import type { PgResource } from "postgraphile/@dataplan/pg";
import { wrapPlans } from "postgraphile/utils";
import { assertMayWrite, writableBy, type WriteTarget } from "../src/graphql/columnPrivileges.ts";

const plugin = wrapPlans<WriteTarget & { path: string[] }>(
  (context, build) => {
    const { scope } = context;
    const resource = scope.pgFieldResource as PgResource<any, any, any, any, any> | undefined;
    if (!resource || !(scope.isPgCreateMutation || scope.isPgUpdateMutation)) return null;
    const { inflection } = build;
    const typeName = inflection.tableType(resource.codec);
    const recordField = inflection.tableFieldName(resource);
    const columnsByField = new Map(
      Object.keys(resource.codec.attributes).map((attributeName) => [inflection.attribute({ attributeName, codec: resource.codec }), attributeName]),
    );
    return scope.isPgCreateMutation
      ? { resource, operation: "insert", columnsByField, inputTypeName: inflection.inputType(typeName), path: ["input", recordField] }
      : { resource, operation: "update", columnsByField, inputTypeName: inflection.patchType(typeName), path: ["input", inflection.patchField(recordField)] };
  },
  (target) => (plan, _$source, fieldArgs) => {
    assertMayWrite(target, fieldArgs.getRaw(target.path));
    return plan();
  },
  { name: "ColumnPrivilegesPlugin", version: "1.0.0", description: "SGCOL before SQL for input fields the caller's role may not write" },
);

const ColumnPrivilegesPlugin: GraphileConfig.Plugin = {
  ...plugin,
  gather: {
    hooks: {
      async pgCodecs_attribute(info, { serviceName, pgClass, pgAttribute, attribute }) {
        const { introspection } = await info.helpers.pgIntrospection.getService(serviceName);
        attribute.extensions = { ...attribute.extensions, writableBy: writableBy(introspection, pgClass, pgAttribute) };
      },
    },
  },
};

export default ColumnPrivilegesPlugin;
