// RetryAfterPlugin: a submitRequest refused by a policy's rate limit is a successful mutation (the
// rejected request is recorded, with decision.retryAfterSeconds), so the HTTP status stays 200.
// Clients and proxies that back off on 429 semantics get the same hint where they look for it:
// a `Retry-After` header and `extensions.retryAfterSeconds` on the response. The seconds come
// from the database (notice SGRTA of app_public.submit_request, collected by
// src/graphql/withPgClient.ts on the request's query context).
import { isPromiseLike } from "postgraphile/grafast";
import type { ExecutionResult } from "postgraphile/graphql";
import { currentQueryContext } from "../src/database/queryContext.ts";

interface ExpressResponse {
  headersSent: boolean;
  setHeader(name: string, value: string): void;
}

const isResult = (value: unknown): value is ExecutionResult => typeof value === "object" && value !== null && !(Symbol.asyncIterator in value);

export default {
  name: "RetryAfterPlugin",
  version: "1.0.0",
  grafast: {
    middleware: {
      // Not async: every operation passes here, and most need nothing added.
      execute(next, event) {
        const addHint = <T>(result: T): T | ExecutionResult => {
          const seconds = currentQueryContext()?.retryAfterSeconds;
          if (seconds === undefined || !isResult(result)) return result;
          const res = (event.args.requestContext as { expressv4?: { res?: ExpressResponse } } | undefined)?.expressv4?.res;
          if (res && !res.headersSent) res.setHeader("Retry-After", String(seconds));
          return { ...result, extensions: { ...result.extensions, retryAfterSeconds: seconds } };
        };
        const result = next();
        return isPromiseLike(result) ? Promise.resolve(result).then(addHint) : addHint(result);
      },
    },
  },
} satisfies GraphileConfig.Plugin;
