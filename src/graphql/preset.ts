// The PostGraphile preset: Amber + simplified inflection + aggregates, our plugins from plugins/,
// the authenticator pool, and the per-request context that turns a verified identity into
// PostgreSQL settings (role + jwt.claims.*) so that row-level security decides every read and write.
import type pg from "pg";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import type { GraphQLConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { makeMaskError } from "./errors.ts";
import { makeContext, type GatewayServices } from "./context.ts";
import { makeWithPgClient } from "./withPgClient.ts";

export const EXPOSED_SCHEMAS = ["app_public"];
/** The schema is built from what this role may see: secrets without grants never appear. */
export const INTROSPECTION_ROLE = "spendgate_admin";

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxFields: number;
  introspection: boolean;
}

declare global {
  namespace GraphileConfig {
    interface Preset {
      /** Our own settings, filled from src/config.ts below and read by plugins/. */
      spendgate?: {
        queryLimits: QueryLimits;
        /** No "Did you mean ...?" in error messages (whenever introspection is off). */
        hideSuggestions: boolean;
      };
    }
  }
}

export interface PresetOptions {
  graphql: GraphQLConfig;
  isProduction: boolean;
  /** For serving; without it the preset only builds the schema (schema export). */
  services?: GatewayServices;
  authPool: pg.Pool;
  plugins: GraphileConfig.Plugin[];
  log: Logger;
  /** Told, after commit, of each user whose credentials a request's transaction changed. */
  onCredentialsChanged?: (userId: string) => void | Promise<void>;
}

export function makePreset({ graphql, isProduction, services, authPool, plugins, log, onCredentialsChanged }: PresetOptions): GraphileConfig.Preset {
  return {
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset, PgAggregatesPreset],
    plugins,
    pgServices: [pgService(authPool, onCredentialsChanged)],
    grafserv: {
      graphqlPath: "/graphql",
      graphiql: graphql.graphiql,
      graphiqlPath: "/graphiql",
      graphiqlOnGraphQLGET: false,
      graphqlOverGET: true,
      // GraphQL over WebSocket (graphql-ws) on /graphql: the alert subscription (AlertSubscriptionPlugin).
      websockets: true,
      maxRequestLength: graphql.bodyLimitBytes,
      maskError: makeMaskError({ isProduction, hideSuggestions: !graphql.introspection }, log),
    },
    spendgate: {
      queryLimits: {
        maxDepth: graphql.maxDepth,
        maxAliases: graphql.maxAliases,
        maxFields: graphql.maxFields,
        introspection: graphql.introspection,
      },
      hideSuggestions: !graphql.introspection,
    },
    grafast: {
      // SQL plans in every response would leak the schema's internals; Ruru works without them.
      explain: false,
      ...(services && { context: makeContext(services, graphql.statementTimeoutMs) }),
    },
  };
}

/** @dataplan/pg's service for our pool, with our one-round-trip database access (withPgClient.ts). */
function pgService(pool: pg.Pool, onCredentialsChanged: PresetOptions["onCredentialsChanged"]): GraphileConfig.PgServiceConfiguration {
  const service = makePgService({ pool, schemas: EXPOSED_SCHEMAS, pgSettingsForIntrospection: { role: INTROSPECTION_ROLE } });
  // The pool named by the caller wins: the read-replica router asks for one on its own pool.
  const createWithPgClient = (settings?: { pool?: pg.Pool }) => makeWithPgClient(settings?.pool ?? pool, onCredentialsChanged);
  return { ...service, adaptor: { ...service.adaptor, createWithPgClient } };
}
