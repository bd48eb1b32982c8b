// SoftDeletePlugin: `delete<Table>(input: {<primary key>})` for every exposed table that has a
// `deleted_at` column the API may write. API roles hold no DELETE privilege (so PostGraphile
// generates no hard deletes); this mutation runs `update ... set deleted_at = now()` instead, as
// the requesting role, so grants and row-level security decide who may delete what. The database
// does the rest (sql/0400-timestamps-and-soft-delete.sql): the guard trigger stamps the time and
// logs it, the restrictive select policy hides the row from then on, soft-deleting a user revokes
// their credentials. Admins restore a row with update<Table>(patch: {deletedAt: null}) while
// sending X-Include-Deleted: true. A role that may not delete a table's rows (no UPDATE on
// deleted_at) gets SGCOL before any SQL runs (src/graphql/columnPrivileges.ts).
import { constant, object, type Step } from "postgraphile/grafast";
import { pgUpdateSingle, type PgResource } from "postgraphile/@dataplan/pg";
import { parse } from "postgraphile/graphql";
import { extendSchema } from "postgraphile/utils";
import { assertMayWrite } from "../src/graphql/columnPrivileges.ts";
import { assertRowChanged } from "../src/graphql/rowAffected.ts";

/** GraphQL input types for the primary key codecs we use. */
const SCALAR_FOR_CODEC: Record<string, string> = { uuid: "UUID", int8: "BigInt", int4: "Int", text: "String" };

export default extendSchema((build) => {
  const { inflection } = build;
  const deletable = (Object.values(build.input.pgRegistry.pgResources) as PgResource<any, any, any, any, any>[]).filter(
    (resource) =>
      !resource.parameters &&
      !resource.isVirtual &&
      !!resource.codec.attributes?.deleted_at?.extensions?.canUpdate &&
      !!resource.uniques.find((unique: { isPrimary?: boolean }) => unique.isPrimary),
  );

  const typeDefs: string[] = [];
  const plans: Record<string, (parent: Step, args: any) => Step> = {};
  for (const resource of deletable) {
    const typeName = inflection.tableType(resource.codec);
    const recordField = inflection.camelCase(typeName);
    const primaryKey = resource.uniques.find((unique: { isPrimary?: boolean }) => unique.isPrimary)!.attributes as string[];
    const keyFields = primaryKey.map((attributeName) => ({
      attributeName,
      fieldName: inflection.attribute({ attributeName, codec: resource.codec as any }),
      scalar: SCALAR_FOR_CODEC[resource.codec.attributes[attributeName].codec.name] ?? "String",
    }));
    const mutationName = `delete${typeName}`;
    typeDefs.push(`
      input Delete${typeName}Input {
        ${keyFields.map((key) => `${key.fieldName}: ${key.scalar}!`).join("\n")}
      }
      type Delete${typeName}Payload {
        "The ${typeName} as it was soft-deleted (deletedAt set)."
        ${recordField}: ${typeName}
      }
      extend type Mutation {
        "Soft-deletes a ${typeName}: it disappears from every query but stays in the database, where an admin can restore it."
        ${mutationName}(input: Delete${typeName}Input!): Delete${typeName}Payload
      }`);
    // A role without UPDATE on deleted_at gets SGCOL ("may not set Payment.deletedAt") before any SQL.
    const target = { resource, operation: "update" as const, columnsByField: new Map([["deletedAt", "deleted_at"]]), inputTypeName: typeName };
    plans[mutationName] = (_$root, args) => {
      assertMayWrite(target, constant({ deletedAt: "now" }));
      const spec = Object.fromEntries(keyFields.map((key) => [key.attributeName, args.getRaw(["input", key.fieldName])]));
      // 'now' is PostgreSQL's literal for the transaction time; the guard trigger enforces it anyway.
      const $row = pgUpdateSingle(resource, spec, { deleted_at: constant("now") });
      assertRowChanged($row, resource, typeName, "delete");
      return object({ [recordField]: $row });
    };
  }

  return {
    typeDefs: parse(typeDefs.join("\n")),
    objects: { Mutation: { plans } },
  };
}, "SoftDeletePlugin");
