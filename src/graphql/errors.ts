// Which errors reach clients. Our own SQL errors carry documented five-character SQLSTATE codes
// starting with "SG" (README: error codes) and pass unchanged with their code and hint; input
// errors PostgreSQL raises for bad values (classes 22 and 23: invalid input, constraint
// violations) and permission errors keep their message and code but never their detail (which
// can quote row values). Everything else is replaced, in production, by a message carrying an
// error id; the full error goes to the log under that id.
import { randomUUID } from "node:crypto";
import { isSafeError } from "postgraphile/grafast";
import { GraphQLError } from "postgraphile/graphql";
import type { Logger } from "../logger.ts";

interface DatabaseError {
  code?: string;
  hint?: string;
  message: string;
}

function isClientFacing(code: string | undefined): boolean {
  return !!code && (/^SG[0-9A-Z]{3}$/.test(code) || code.startsWith("22") || code.startsWith("23") || code === "42501");
}

export function makeMaskError(isProduction: boolean, log: Logger) {
  return (error: GraphQLError): GraphQLError => {
    const original = error.originalError as (Error & DatabaseError & { extensions?: unknown }) | undefined;
    if (!original || original instanceof GraphQLError) return error;
    if (isSafeError(original)) return error;
    if (isClientFacing(original.code)) {
      return new GraphQLError(original.message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        extensions: { code: original.code, ...(original.hint ? { hint: original.hint } : {}) },
      });
    }
    const errorId = randomUUID();
    log.error({ errorId, err: original, path: error.path }, "unexpected error in GraphQL operation");
    const message = isProduction
      ? `An unexpected error occurred (error id ${errorId}).`
      : `${original.message} (error id ${errorId})`;
    return new GraphQLError(message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { code: "INTERNAL", errorId },
    });
  };
}
