// Liveness and readiness (seed 004 D-3: health check endpoint).
// /healthz: the process is alive and serving HTTP; it never touches the database.
// /readyz: the database answers, every migration on disk is applied and every definition file of
// sql/ is applied in its current version; 503 with a JSON reason otherwise, so a load balancer
// stops sending traffic while PostgreSQL is away and resumes when it is back (the pools reconnect
// by themselves). `schema` says how the database compares with this code: "current", "behind"
// (503: a migration of this release is not applied yet) or "ahead" (200: a newer release has
// migrated; during a rolling deploy the old instances keep serving, which expand/contract
// migrations make safe).
import type { Express } from "express";
import type pg from "pg";
import { pendingChanges, unknownMigrations } from "../database/migrate.ts";

const READINESS_TIMEOUT_MS = 3000;

export function installHealth(app: Express, ownerPool: pg.Pool): void {
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    try {
      const query = (sql: string) => ownerPool.query(sql);
      const [pending, unknown] = await withTimeout(Promise.all([pendingChanges(query), unknownMigrations(query)]), READINESS_TIMEOUT_MS);
      if (unknown.length > 0) {
        // The newer release's definition files differ from ours too: not a reason to stop serving.
        res.json({ status: "ready", schema: "ahead", unknownMigrations: unknown, pending: pending.migrations });
        return;
      }
      if (pending.migrations.length > 0 || pending.definitions.length > 0) {
        res.status(503).json({
          status: "unavailable",
          reason: "migrations pending",
          schema: "behind",
          pending: pending.migrations,
          pendingDefinitions: pending.definitions,
        });
        return;
      }
      res.json({ status: "ready", schema: "current" });
    } catch (error) {
      res.status(503).json({ status: "unavailable", reason: `database unreachable: ${(error as Error).message}` });
    }
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
