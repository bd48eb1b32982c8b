// Listens on channel `spendgate_insights` (sql/6400-insights-notify.sql) and drops the cached
// views the database says changed, whoever changed them (this instance, another one, the worker,
// SQL). One dedicated connection per process. If it drops, notifications sent meanwhile are lost:
// it reconnects and flushes the caches before relying on notifications again.
import pg from "pg";
import type { Logger } from "../logger.ts";
import { CACHED_VIEWS, type CachedView, type ResponseCache } from "./cache.ts";

export const INSIGHTS_CHANNEL = "spendgate_insights";

export interface InvalidationListener {
  close(): Promise<void>;
}

const isView = (value: unknown): value is CachedView => (CACHED_VIEWS as readonly unknown[]).includes(value);

export async function listenForInvalidations(connectionString: string, cache: ResponseCache, log: Logger): Promise<InvalidationListener> {
  const listenLog = log.child({ component: "cache-invalidation" });
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const onNotification = (message: pg.Notification) => {
    try {
      const { what, users } = JSON.parse(message.payload ?? "{}") as { what?: unknown[]; users?: string[] };
      void cache.invalidate((what ?? []).filter(isView), users ?? []);
    } catch (error) {
      listenLog.warn({ err: (error as Error).message }, "ignored a malformed invalidation");
    }
  };

  async function connect(attempt: number): Promise<void> {
    const next = new pg.Client({ connectionString });
    next.on("error", () => undefined); // reported through "end" below
    try {
      await next.connect();
      next.on("notification", onNotification);
      await next.query(`listen ${INSIGHTS_CHANNEL}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      if (attempt === 0) throw error;
      return schedule(attempt + 1);
    }
    client = next;
    next.once("end", () => {
      if (closed) return;
      listenLog.warn("invalidation connection lost: reconnecting");
      schedule(1);
    });
    if (attempt > 0) await cache.flush().catch(() => undefined);
  }

  function schedule(attempt: number): void {
    if (closed) return;
    retry = setTimeout(() => void connect(attempt), Math.min(attempt * 500, 5000));
  }

  await connect(0);
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
