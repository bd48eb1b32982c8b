// API keys (seed 000): `sg_live_` + 32 random bytes (base64url). Only the SHA-256 hex digest is
// stored (key_hash); the plain key is returned once, at creation. A fast hash is right here (unlike
// passwords): the key has 256 bits of entropy, so there is nothing to brute-force.
//
// usage_count/last_used_at: counting with an UPDATE on every request would serialise all
// requests of one key on one row lock. Instead uses are counted in memory and flushed in one
// set-based UPDATE every few seconds (and at shutdown); a crash loses at most that interval's counts.
import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";
import type { Logger } from "../logger.ts";

export const API_KEY_PREFIX = "sg_live_";
const FLUSH_INTERVAL_MS = 5000;

export function generateApiKey(): { key: string; hash: string; prefix: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
  return { key, hash: hashApiKey(key), prefix: key.slice(0, API_KEY_PREFIX.length + 4) };
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export interface ApiKeyUsage {
  record(apiKeyId: string): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export function createApiKeyUsage(pool: pg.Pool, log: Logger): ApiKeyUsage {
  let pending = new Map<string, { count: number; lastUsedAt: Date }>();
  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const ids = [...batch.keys()];
    try {
      await pool.query("select app_private.record_api_key_usage($1::bigint[], $2::bigint[], $3::timestamptz[])", [
        ids,
        ids.map((id) => batch.get(id)!.count),
        ids.map((id) => batch.get(id)!.lastUsedAt),
      ]);
    } catch (error) {
      log.warn({ err: (error as Error).message, keys: ids.length }, "could not record API key usage");
    }
  };
  const timer = setInterval(() => void flush(), FLUSH_INTERVAL_MS);
  timer.unref();
  return {
    record(apiKeyId) {
      const entry = pending.get(apiKeyId);
      if (entry) {
        entry.count++;
        entry.lastUsedAt = new Date();
      } else pending.set(apiKeyId, { count: 1, lastUsedAt: new Date() });
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
