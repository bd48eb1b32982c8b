// Builds the GraphQL schema for a database without serving it: used to export schema.graphql
// (committed, so reviewers see API changes) and by the test that fails when it drifts.
import pg from "pg";
import { postgraphile } from "postgraphile";
import { lexicographicSortSchema, printSchema } from "postgraphile/graphql";
import type { Config } from "../config.ts";
import { createTokenService } from "../auth/tokens.ts";
import type { Logger } from "../logger.ts";
import { loadPlugins } from "./plugins.ts";
import { makePreset } from "./preset.ts";

export async function printGraphQLSchema(config: Config, log: Logger, authUrl: string): Promise<string> {
  const authPool = new pg.Pool({ connectionString: authUrl, max: 2 });
  try {
    const services = { config, tokens: createTokenService(config, new Uint8Array(32)) };
    const pgl = postgraphile(makePreset({ config, services, authPool, plugins: await loadPlugins(), log }));
    const schema = await pgl.getSchema();
    await pgl.release();
    return `${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await authPool.end();
  }
}
