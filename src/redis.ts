// The process's one Redis connection (ioredis), shared by everything that uses Redis: rate limits
// (src/server/rateLimits.ts), response caches (src/cache/), phone verification codes, and the
// credential cache. Created only when REDIS_URL is set.
//
// Redis is never required: every user of this module has a fallback (in-memory counters, the
// in-process cache, PostgreSQL), so the connection is set up to fail fast instead of waiting.
// Commands sent while the connection is down are rejected at once (no offline queue), a command
// without an answer fails after REDIS_COMMAND_TIMEOUT_MS, and connecting gives up after
// REDIS_CONNECT_TIMEOUT_MS (seed 003: 5 s) and keeps retrying in the background. `rediss://` URLs
// use TLS (seed 003: TLS 1.3 by default), against the system's certificate authorities or the one
// in REDIS_TLS_CA_FILE.
import fs from "node:fs";
import { Redis } from "ioredis";
import type { RedisConfig } from "./config.ts";
import type { Logger } from "./logger.ts";

export interface SharedRedis {
  client: Redis;
  /** A key under this deployment's prefix: key("profile", id) is `<REDIS_KEY_PREFIX>:profile:<id>`. */
  key(...parts: string[]): string;
  /** True while the connection is up: callers go to their fallback otherwise, without trying. */
  isReady(): boolean;
  /** Runs `listener` each time the connection is ready again after it was lost. */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

// Reconnect soon after a short blip, then every few seconds while Redis stays away.
const retryDelayMs = (attempt: number) => Math.min(attempt * 200, 5000);

/** The shared connection, or undefined when REDIS_URL is not set. Connects in the background. */
export function connectRedis(config: RedisConfig, log: Logger): SharedRedis | undefined {
  if (!config.url) return undefined;
  const redisLog = log.child({ component: "redis" });
  const tls = config.url.startsWith("rediss:") ? { minVersion: config.tlsMinVersion, ...(config.tlsCaFile && { ca: readCa(config.tlsCaFile) }) } : undefined;
  const client = new Redis(config.url, {
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: retryDelayMs,
    ...(tls && { tls }),
  });

  // ioredis emits "error" on every failed attempt while Redis is away: log the change of state
  // once, not every retry. Without a listener the event would crash the process.
  let lost = false;
  const reconnectListeners: (() => void)[] = [];
  client.on("error", (error: Error) => {
    if (lost) return;
    lost = true;
    redisLog.warn({ err: error.message }, "redis unavailable: falling back until it is back");
  });
  client.on("close", () => {
    if (!lost && client.status !== "end") {
      lost = true;
      redisLog.warn("redis connection lost: falling back until it is back");
    }
  });
  let everReady = false;
  client.on("ready", () => {
    if (everReady) redisLog.info("redis connection restored");
    else redisLog.info("redis connected");
    const wasLost = lost && everReady;
    lost = false;
    everReady = true;
    if (wasLost) for (const listener of reconnectListeners) listener();
  });

  return {
    client,
    key: (...parts) => [config.keyPrefix, ...parts].join(":"),
    isReady: () => client.status === "ready",
    onReconnect: (listener) => void reconnectListeners.push(listener),
    async close() {
      client.disconnect();
    },
  };
}

function readCa(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new Error(`REDIS_TLS_CA_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
