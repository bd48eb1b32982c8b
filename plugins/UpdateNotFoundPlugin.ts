// UpdateNotFoundPlugin: every generated update<Table> mutation fails with SGNFD when it changed
// no row (unknown key, soft-deleted, or hidden by row-level security), where PostGraphile 5
// would answer a silent null. A client can tell "nothing happened" from success; it still cannot
// tell which of the three cases it was, so nothing leaks about rows it may not see.
import type { PgResource } from "postgraphile/@dataplan/pg";
import { wrapPlans } from "postgraphile/utils";
import { assertRowChanged } from "../src/graphql/rowAffected.ts";

interface Match {
  resource: PgResource<any, any, any, any, any>;
  typeName: string;
}

export default wrapPlans<Match>(
  (context, build) => {
    const resource = context.scope.pgFieldResource as Match["resource"] | undefined;
    if (!context.scope.isPgUpdateMutation || !resource) return null;
    return { resource, typeName: build.inflection.tableType(resource.codec) };
  },
  ({ resource, typeName }) =>
    (plan) => {
      const $payload = plan();
      assertRowChanged($payload.get("result"), resource, typeName, "change");
      return $payload;
    },
  { name: "UpdateNotFoundPlugin", version: "1.0.0", description: "SGNFD when an update changes no row" },
);
