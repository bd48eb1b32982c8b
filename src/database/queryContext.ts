// What a SQL statement is run for: the HTTP request (its id, the X-Request-Id the client got) and
// the GraphQL operation, carried through the async calls of that request (AsyncLocalStorage), so
// that slow-query log lines and the SQL-time histogram name them without every caller passing
// them along. Statements outside a request (the worker, start-up) have no context.
import { AsyncLocalStorage } from "node:async_hooks";

export interface QueryContext {
  requestId: string;
  /** The GraphQL operation's name, read once the request body is parsed. */
  operationName(): string | undefined;
  /** SQL time of this request so far, in seconds. */
  sqlSeconds: number;
  /** Set when a statement of this request was refused by a rate limit: when to try again (plugins/RetryAfterPlugin.ts). */
  retryAfterSeconds?: number;
}

const storage = new AsyncLocalStorage<QueryContext>();

export const runWithQueryContext = <T>(context: QueryContext, fn: () => T): T => storage.run(context, fn);
export const currentQueryContext = (): QueryContext | undefined => storage.getStore();

/** Records on the current request that a rate limit refused it for `seconds` (the longest wait wins). */
export function noteRetryAfter(seconds: number): void {
  const context = storage.getStore();
  if (context && Number.isInteger(seconds) && seconds > 0) context.retryAfterSeconds = Math.max(context.retryAfterSeconds ?? 0, seconds);
}
