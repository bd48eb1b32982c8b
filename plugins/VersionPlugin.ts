// VersionPlugin: adds `Query.version`, the running gateway's version from package.json.
// Clients and deploy checks use it to see which build answers; it is also the smallest real
// example of a plugin in this folder (see plugins/README.md).
import { readFileSync } from "node:fs";
import { constant } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

export default extendSchema(
  {
    typeDefs: gql`
      extend type Query {
        "The version of the Spendgate gateway serving this API."
        version: String!
      }
    `,
    objects: {
      Query: {
        plans: {
          version: () => constant(version),
        },
      },
    },
  },
  "VersionPlugin",
);
