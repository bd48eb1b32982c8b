// The codes a client reads in `extensions.code` besides our SQL `SG...` codes and PostgreSQL's
// input errors (README: error codes). Every error a client receives carries one, so a client can
// act on the code instead of parsing messages. Kept in one module so the HTTP layer, the GraphQL
// layer and the documentation use the same names.
import { GraphQLError } from "postgraphile/graphql";

/** The document is not valid GraphQL syntax. */
export const GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED";
/** The document does not fit the schema or breaks a limit (depth, aliases, fields, introspection). */
export const GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED";
/** A variable or argument value has the wrong type or shape. */
export const BAD_USER_INPUT = "BAD_USER_INPUT";
/** Row-level security or a privilege refused the operation (PostgreSQL 42501, never passed on raw). */
export const NOT_ALLOWED = "SGDNY";
/** Anything else: details are in the server log under `errorId`. */
export const INTERNAL = "INTERNAL";

const STATUS_CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  406: "NOT_ACCEPTABLE",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
};

/** The code for an HTTP-level error (a request refused before GraphQL could run it). */
export function codeForStatus(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? INTERNAL : "BAD_REQUEST");
}

/** graphql-js and grafast append "Did you mean ...?" to some messages: names a client did not ask for. */
export function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean [^?]*\?/g, "").trim();
}

/** `error` with `extensions.code` set to `code` unless it already has one. */
export function withCode(error: GraphQLError, code: string, message = error.message): GraphQLError {
  if (typeof error.extensions?.code === "string" && message === error.message) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: (error.extensions?.code as string | undefined) ?? code },
  });
}
