// UnreadableColumnsPlugin: a column that the introspection role may not SELECT (password_hash,
// key_hash, sessions.refresh_token: secrets no API role can read) gets no aggregate, group-by,
// having, order-by or filter behaviour either. PostGraphile's RBAC already hides such columns
// from the record types, but @graphile/pg-aggregates would still offer e.g.
// `distinctCount { passwordHash }`, which both leaks the column's existence and fails with
// "permission denied" at run time. Deciding from the grants (not a list of names) keeps any
// future secret column out of the API as soon as it is left ungranted.
const HIDDEN = "-attribute:aggregate -attribute:groupBy -attribute:havingBy -orderBy -filterBy" as GraphileBuild.BehaviorString;

const UnreadableColumnsPlugin: GraphileConfig.Plugin = {
  name: "UnreadableColumnsPlugin",
  version: "1.0.0",
  description: "Removes aggregate/group/order/filter behaviours from columns the API may not read",
  schema: {
    entityBehavior: {
      pgCodecAttribute: {
        inferred: {
          after: ["postInferred"],
          callback(behavior, [codec, attributeName]) {
            const attribute = codec.attributes[attributeName];
            return attribute?.extensions?.canSelect === false ? [behavior, HIDDEN] : behavior;
          },
        },
      },
    },
  },
};

export default UnreadableColumnsPlugin;
