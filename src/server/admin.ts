// The admin server (as PostgREST's admin-server-port): GET /metrics, /healthz and /readyz on
// ADMIN_HOST:ADMIN_PORT, an interface that can stay private (a Prometheus and a load balancer's
// health checks reach it, clients do not). /healthz and /readyz stay on the main port too.
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type pg from "pg";
import type { AdminConfig } from "../config.ts";
import { installHealth } from "./installHealth.ts";
import { installMetricsEndpoint, type MetricsSource } from "./metrics.ts";

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

export async function startAdminServer(config: AdminConfig & { port: number }, metrics: MetricsSource, ownerPool: pg.Pool): Promise<AdminServer> {
  const app = express();
  app.disable("x-powered-by");
  installHealth(app, ownerPool);
  installMetricsEndpoint(app, metrics);
  app.use((_req, res) => {
    res.status(404).json({ errors: [{ message: "Not found" }] });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // scrapes and health checks: nothing worth draining
      }),
  };
}
