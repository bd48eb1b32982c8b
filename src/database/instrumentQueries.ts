// Times every statement a pooled client runs (seed 003: "log queries exceeding 100 ms"): one
// that takes SLOW_QUERY_MS or longer is logged with its duration, pool, request id and GraphQL
// operation name, and its SQL text (placeholders, never parameter values: those hold passwords
// and personal data). The time is also added to the request's SQL total (the per-operation
// histogram of src/server/metrics.ts).
import type pg from "pg";
import type { Logger } from "../logger.ts";
import { currentQueryContext } from "./queryContext.ts";

const MAX_STATEMENT_CHARS = 2000;

type QueryFn = (...args: unknown[]) => unknown;

export function instrumentQueries(client: pg.PoolClient, pool: string, slowQueryMs: number, log: Logger): void {
  const query = client.query as unknown as QueryFn;
  (client as unknown as { query: QueryFn }).query = function (this: pg.PoolClient, ...args: unknown[]) {
    const first = args[0] as string | { text?: string; submit?: unknown } | undefined;
    const callbackAt = args.findIndex((arg) => typeof arg === "function");
    // Cursors and streams report through their own events: not timed. A submittable given with a
    // callback (the API's pipelined settings + query, src/database/pipelinedQuery.ts) is.
    if (typeof first === "object" && first !== null && typeof first.submit === "function" && callbackAt < 0) return query.apply(this, args);
    const context = currentQueryContext();
    const started = process.hrtime.bigint();
    const done = () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (context) context.sqlSeconds += seconds;
      if (seconds * 1000 < slowQueryMs) return;
      const text = typeof first === "string" ? first : (first?.text ?? "");
      // info, not warn: a slow statement is worth seeing, not an alarm (start-up introspection
      // alone takes longer than 100 ms); alert on the metrics instead.
      log.info(
        {
          durationMs: Math.round(seconds * 10000) / 10,
          pool,
          requestId: context?.requestId,
          operationName: context?.operationName(),
          statement: text.length > MAX_STATEMENT_CHARS ? `${text.slice(0, MAX_STATEMENT_CHARS)}...` : text,
        },
        "slow query",
      );
    };
    if (callbackAt >= 0) {
      const callback = args[callbackAt] as (...results: unknown[]) => void;
      args[callbackAt] = (...results: unknown[]) => {
        done();
        callback(...results);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args) as Promise<unknown>;
    result.then(done, done); // the caller handles the outcome; this only observes it
    return result;
  };
}
