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
}

const storage = new AsyncLocalStorage<QueryContext>();

export const runWithQueryContext = <T>(context: QueryContext, fn: () => T): T => storage.run(context, fn);
export const currentQueryContext = (): QueryContext | undefined => storage.getStore();
