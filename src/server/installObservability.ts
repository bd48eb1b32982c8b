// One middleware observes every request once it has finished: a metrics sample and a structured
// log line (with a request id that is also returned to the client as X-Request-Id). The samples
// are served by GET /metrics (src/server/metrics.ts), on the admin server when there is one.
import { randomUUID } from "node:crypto";
import type { Express } from "express";
import type { Logger } from "../logger.ts";
import type { Metrics } from "./metrics.ts";

export function installObservability(app: Express, log: Logger, metrics: Metrics): void {
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    res.setHeader("X-Request-Id", requestId);
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeHttp(req.method, req.path, res.statusCode, seconds);
      log.info({ requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1000) }, "request");
    });
    next();
  });
}
