// Builds the GraphQL schema for a database without serving it: used to export schema.graphql
// (committed, so reviewers see API changes) and by the test that fails when it drifts.
import pg from "pg";
import { postgraphile } from "postgraphile";
import { lexicographicSortSchema, printSchema } from "postgraphile/graphql";
import type { GraphQLConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { loadPlugins } from "./plugins.ts";
import { makePreset } from "./preset.ts";

export async function printGraphQLSchema(graphql: GraphQLConfig, log: Logger, authUrl: string): Promise<string> {
  const authPool = new pg.Pool({ connectionString: authUrl, max: 2 });
  try {
    const pgl = postgraphile(makePreset({ graphql, isProduction: false, authPool, plugins: await loadPlugins(), log }));
    const schema = await pgl.getSchema();
    await pgl.release();
    return `${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await authPool.end();
  }
}
