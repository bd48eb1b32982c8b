// Response caches of a user's own insight views (seed 003 "Cache Strategy"), in Redis:
//   profile:{user_id}          5 minutes   persona
//   recommendations:{user_id}  1 hour      the user's approved recommendations
//   signals:{user_id}          24 hours    30- and 180-day signals
// Keys carry the user id only and hold the user's own view, which is the same whatever the
// caller's role (the queries ask for that user's rows and approved recommendations only); they
// are never shared between users. Entries are dropped when the database says the data changed
// (src/insights/invalidation.ts, sql/6400-insights-notify.sql), not only when they expire.
//
// Without Redis, or while it is unreachable, every read goes to PostgreSQL: no cache, so nothing
// can be stale. A read that started before an invalidation of its user does not store what it
// loaded (it may predate the change): each invalidation takes a sequence number, remembered per
// user (forgotten in bulk past a bound, which then counts as an invalidation of everyone).
import type { Logger } from "../logger.ts";
import type { SharedRedis } from "../redis.ts";

export const CACHED_VIEWS = ["profile", "recommendations", "signals"] as const;
export type CachedView = (typeof CACHED_VIEWS)[number];
export const CACHE_TTL_S: Record<CachedView, number> = { profile: 300, recommendations: 3600, signals: 86_400 };

export interface CacheStats {
  hits: number;
  misses: number;
  /** Reads that went straight to PostgreSQL: no Redis, or Redis unavailable. */
  bypassed: number;
}

export interface ResponseCache {
  read<T>(view: CachedView, userId: string, load: () => Promise<T>): Promise<T>;
  invalidate(views: readonly CachedView[], userIds: readonly string[]): Promise<void>;
  /** Drops every cached view (after invalidations may have been missed). */
  flush(): Promise<void>;
  stats(): CacheStats;
}

export function createResponseCache(redis: SharedRedis | undefined, log: Logger): ResponseCache {
  const cacheLog = log.child({ component: "cache" });
  const stats: CacheStats = { hits: 0, misses: 0, bypassed: 0 };
  let sequence = 0;
  /** Reads that started at or before this sequence number may not store. */
  let floor = 0;
  const invalidatedAt = new Map<string, number>();
  const ready = () => redis?.isReady() ?? false;
  const mayStore = (userId: string, startedAt: number) => startedAt >= floor && startedAt >= (invalidatedAt.get(userId) ?? 0);
  const markInvalidated = (userIds: readonly string[]) => {
    sequence++;
    if (invalidatedAt.size > 10_000) {
      invalidatedAt.clear();
      floor = sequence;
    }
    for (const id of userIds) invalidatedAt.set(id, sequence);
  };

  async function flush(): Promise<void> {
    floor = ++sequence;
    if (!redis || !ready()) return;
    for (const view of CACHED_VIEWS) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.client.scan(cursor, "MATCH", redis.key(view, "*"), "COUNT", 1000);
        if (keys.length) await redis.client.del(...keys);
        cursor = next;
      } while (cursor !== "0");
    }
  }

  // Invalidations sent while Redis was away were lost: start clean when it is back.
  redis?.onReconnect(() => void flush().catch((error: Error) => cacheLog.warn({ err: error.message }, "cache flush after reconnect failed")));

  return {
    async read(view, userId, load) {
      if (!redis || !ready()) {
        stats.bypassed++;
        return load();
      }
      const key = redis.key(view, userId);
      const cached = await redis.client.get(key).catch(() => undefined);
      if (cached === undefined) {
        stats.bypassed++;
        return load();
      }
      if (cached !== null) {
        stats.hits++;
        return JSON.parse(cached) as Awaited<ReturnType<typeof load>>;
      }
      stats.misses++;
      const startedAt = ++sequence;
      const value = await load();
      if (mayStore(userId, startedAt)) {
        await redis.client.set(key, JSON.stringify(value), "EX", CACHE_TTL_S[view]).catch(() => undefined);
      }
      return value;
    },
    async invalidate(views, userIds) {
      markInvalidated(userIds);
      if (!redis || !ready() || userIds.length === 0) return;
      const keys = userIds.flatMap((id) => views.map((view) => redis.key(view, id)));
      await redis.client.del(...keys).catch((error: Error) => cacheLog.warn({ err: error.message }, "cache invalidation failed"));
    },
    flush,
    stats: () => ({ ...stats }),
  };
}
