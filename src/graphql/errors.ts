// Which errors reach clients, and with which code (every error carries `extensions.code`).
// - Our own SQL errors carry documented five-character SQLSTATE codes starting with "SG" (README:
//   error codes) and pass unchanged with their code and hint; so do SafeErrors from plugins.
// - Input errors PostgreSQL raises for bad values (classes 22 and 23: invalid input, constraint
//   violations) keep their message and SQLSTATE but never their detail (which can quote rows).
// - A permission error (42501, raised by a grant or by a row-level security WITH CHECK) becomes
//   SGDNY with a message that names no table: inputs a role may not set are refused earlier
//   with SGCOL (src/graphql/columnPrivileges.ts), so what is left here is "not your row".
// - GraphQL's own errors (variable coercion) get BAD_USER_INPUT, without "Did you mean" when
//   suggestions are hidden (introspection off).
// - Everything else is INTERNAL with an error id, its message shown only outside production;
//   the full error goes to the log under that id.
import { randomUUID } from "node:crypto";
import { isSafeError } from "postgraphile/grafast";
import { GraphQLError } from "postgraphile/graphql";
import type { Logger } from "../logger.ts";
import { BAD_USER_INPUT, INTERNAL, NOT_ALLOWED, withCode, withoutSuggestions } from "./errorCodes.ts";

interface DatabaseError {
  code?: string;
  hint?: string;
  message: string;
}

function isClientFacing(code: string | undefined): boolean {
  return !!code && (/^SG[0-9A-Z]{3}$/.test(code) || code.startsWith("22") || code.startsWith("23"));
}

function notAllowedMessage(original: DatabaseError): string {
  return /row-level security/.test(original.message)
    ? "not allowed: the row would belong to another user, or is not yours to change"
    : "not allowed for your role";
}

export interface MaskErrorOptions {
  isProduction: boolean;
  /** Strip "Did you mean ...?" (whenever introspection is off). */
  hideSuggestions: boolean;
}

export function makeMaskError({ isProduction, hideSuggestions }: MaskErrorOptions, log: Logger) {
  const clean = (message: string) => (hideSuggestions ? withoutSuggestions(message) : message);
  const reshaped = (error: GraphQLError, message: string, extensions: Record<string, unknown>) =>
    new GraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions });

  return (error: GraphQLError): GraphQLError => {
    const original = error.originalError as (Error & DatabaseError & { extensions?: unknown }) | undefined;
    if (!original || original instanceof GraphQLError) return withCode(error, BAD_USER_INPUT, clean(error.message));
    if (isSafeError(original)) return withCode(error, BAD_USER_INPUT);
    if (original.code === "42501") return reshaped(error, notAllowedMessage(original), { code: NOT_ALLOWED });
    if (isClientFacing(original.code)) {
      return reshaped(error, original.message, { code: original.code, ...(original.hint ? { hint: original.hint } : {}) });
    }
    const errorId = randomUUID();
    log.error({ errorId, err: original, path: error.path }, "unexpected error in GraphQL operation");
    const message = isProduction ? `An unexpected error occurred (error id ${errorId}).` : `${original.message} (error id ${errorId})`;
    return reshaped(error, message, { code: INTERNAL, errorId });
  };
}
