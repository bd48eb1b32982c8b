// One middleware observes every request: a request id (returned to the client as X-Request-Id)
// and the GraphQL operation's name are the context of every SQL statement run for it
// (src/database/queryContext.ts: slow-query log lines name both); once it has finished, a metrics
// sample (HTTP, and its SQL time per operation) and a structured log line. The samples are served
// by GET /metrics (src/server/metrics.ts), on the admin server when there is one.
import { randomUUID } from "node:crypto";
import type { Express, Request } from "express";
import { runWithQueryContext, type QueryContext } from "../database/queryContext.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "./metrics.ts";

export function installObservability(app: Express, log: Logger, metrics: Metrics): void {
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    res.setHeader("X-Request-Id", requestId);
    // Read when asked, not cached: statements run before the body is parsed (authentication) see none yet.
    const context: QueryContext = { requestId, operationName: () => operationNameOf(req), sqlSeconds: 0 };
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeHttp(req.method, req.path, res.statusCode, seconds);
      if (req.path === "/graphql") metrics.observeSql(context.operationName(), context.sqlSeconds);
      log.info({ requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1000) }, "request");
    });
    runWithQueryContext(context, next);
  });
}

const NAMED_OPERATION = /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

/** operationName of the request, else the name of its (first) operation; undefined when anonymous. */
export function operationNameOf(req: Request): string | undefined {
  const params = (req.method === "GET" ? req.query : req.body) as { operationName?: unknown; query?: unknown } | undefined;
  if (typeof params?.operationName === "string" && params.operationName) return params.operationName;
  if (typeof params?.query !== "string") return undefined;
  return NAMED_OPERATION.exec(params.query)?.[1];
}
