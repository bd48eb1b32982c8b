// The Redis tier of the credential check, for access tokens with a session, when REDIS_URL is set
// (seed 003 "Cache Strategy"):
//   session:{session_id}          the answer of app_private.user_credentials for that session (role,
//                                 account status, session expiry); TTL: the session's expiry
//   blacklist:token:{token_id}    an access token ended by logout; TTL: the token's remaining life
// Per request ONE round trip (a pipeline): MGET of the session key and the user's generation key,
// and EXISTS of the token's blacklist key; no database round trip when the session key is there.
// Shared by every instance, so a change made through any instance is seen by all of them at their
// next request, where the per-process memory cache (./credentialCache.ts) waits for NOTIFY.
//
// Invalidation deletes all of a user's session keys, found through a per-user index key
//   session-index:{user_id}       the set of the user's session ids that have a key
// kept by the same script that writes a session key. An index, not a database query, because the
// invalidation must also work when the sessions are gone from the table (user or session deleted),
// and because every instance runs it on every notification: an index costs one Redis round trip,
// a query a database round trip per instance per change.
//
// A check that missed reads the database and then writes the key; an invalidation can fall in
// between (the read saw the old state, the key would bring it back for the session's lifetime).
// Two guards: the user's generation key (session-gen:{user_id}), replaced by every invalidation
// and compared by the writing script with the value read before the database was asked, stops a
// write after another instance's invalidation; a local generation, bumped by every invalidation
// this process runs or receives, stops a write after its own.
//
// Redis answers are trusted only while nothing can have been missed: the LISTEN connection is up
// (changes made by SQL or jobs reach Redis through the notifications) and no Redis command of
// this process has failed since its last flush of the session keys. A failed command (Redis down
// or slower than REDIS_COMMAND_TIMEOUT_MS), a lost LISTEN connection or a Redis reconnection stops
// the tier at once (the credential store falls back to memory + NOTIFY) until a flush of every
// session key succeeds; the flush is retried in the background, never on a request's time.
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.ts";
import type { SharedRedis } from "../redis.ts";
import type { AccountState } from "./credentialCache.ts";
import type { TokenRole } from "./tokens.ts";

export type SessionLookup =
  | { kind: "revoked" }
  | { kind: "hit"; state: AccountState }
  /** Not in Redis: `store` writes what the database answered, unless an invalidation came first. */
  | { kind: "miss"; store(state: AccountState | undefined): Promise<void> };

export interface SessionCache {
  /** True when requests may be checked here; otherwise starts recovering, in the background. */
  usable(): boolean;
  /** One round trip. Undefined when Redis failed: the caller falls back. */
  lookup(userId: string, sessionId: string, tokenId: string | undefined): Promise<SessionLookup | undefined>;
  /** Deletes the user's session keys (every instance sees it at its next request). */
  invalidate(userId: string): Promise<void>;
  /** Blacklists an access token until it expires (logout). */
  revokeToken(tokenId: string, expiresAtS: number): Promise<void>;
  /** The LISTEN connection's state: false stops the tier, true starts a flush to resume it. */
  listening(listening: boolean): void;
  /** Resolves once the tier is usable: at once if it is, else when its flush has succeeded (tests). */
  inUse(): Promise<void>;
}

export interface SessionCacheOptions {
  redis: SharedRedis;
  /** No session key lives longer than this (REFRESH_TOKEN_TTL_S): the index key is kept that long. */
  maxTtlS: number;
  log: Logger;
  now?: () => number;
}

/** A generation outlives by far any credential query that could have read it before a write. */
const GENERATION_TTL_MS = 24 * 3600 * 1000;
/** A failed flush is retried at most this often. */
const FLUSH_RETRY_MS = 1000;

// KEYS: session key, generation key, index key. ARGV: generation read before the database was
// asked ("" when none), value, TTL ms, session id, index TTL ms.
const STORE = `
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return 1`;
// KEYS: index key, generation key. ARGV: prefix of session keys, new generation, its TTL ms.
// The session keys are named from the index inside the script: a single Redis (not Redis Cluster).
const INVALIDATE = `
local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do redis.call('DEL', ARGV[1] .. id) end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return #ids`;

export function createSessionCache({ redis, maxTtlS, log, now = Date.now }: SessionCacheOptions): SessionCache {
  const sessionLog = log.child({ component: "session-cache" });
  const { client } = redis;
  const sessionKey = (sessionId: string) => redis.key("session", sessionId);
  const generationKey = (userId: string) => redis.key("session-gen", userId);
  const indexKey = (userId: string) => redis.key("session-index", userId);

  let trusted = false;
  let listening = false;
  /** Bumped whenever trust is lost: a flush that started before may not restore it. */
  let distrusts = 0;
  /** Bumped by every invalidation and flush: a store whose read started before does not write. */
  let generation = 0;
  let flushing = false;
  let lastFlush = -Infinity;
  let becameUsable = Promise.withResolvers<void>();

  const distrust = (reason: string) => {
    if (trusted) sessionLog.warn({ reason }, "session cache suspended: credential checks use memory + NOTIFY until it is flushed");
    trusted = false;
    distrusts++;
    generation++;
  };
  const failed = (what: string) => (error: Error) => distrust(`${what}: ${error.message}`);

  async function flush(): Promise<void> {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", sessionKey("*"), "COUNT", 1000);
      if (keys.length) await client.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  }

  function recover(): void {
    if (flushing || !listening || !redis.isReady() || now() - lastFlush < FLUSH_RETRY_MS) return;
    flushing = true;
    lastFlush = now();
    const before = distrusts;
    generation++;
    flush().then(
      () => {
        flushing = false;
        if (distrusts !== before || !listening) return;
        trusted = true;
        sessionLog.info("session cache in use");
        becameUsable.resolve();
        becameUsable = Promise.withResolvers();
      },
      (error: Error) => {
        flushing = false;
        sessionLog.warn({ err: error.message }, "session cache flush failed: retrying");
        setTimeout(recover, FLUSH_RETRY_MS).unref();
      },
    );
  }

  // Invalidations sent while the connection was away were lost: flush before trusting it again.
  client.on("ready", () => {
    distrust("redis reconnected");
    lastFlush = -Infinity;
    recover();
  });

  const usable = () => {
    if (trusted && redis.isReady()) return true;
    recover();
    return false;
  };

  return {
    usable,

    async lookup(userId, sessionId, tokenId) {
      const startedAt = generation;
      const pipeline = client.pipeline().mget(sessionKey(sessionId), generationKey(userId));
      if (tokenId) pipeline.exists(redis.key("blacklist", "token", tokenId));
      let results: [Error | null, unknown][] | null;
      try {
        results = await pipeline.exec();
      } catch (error) {
        return void failed("lookup")(error as Error);
      }
      const error = results?.find(([e]) => e)?.[0];
      if (!results || error) return void distrust(`lookup: ${error?.message ?? "no answer"}`);
      const [value, seenGeneration] = results[0]![1] as [string | null, string | null];
      if (tokenId && results[1]![1] === 1) return { kind: "revoked" };
      if (value !== null) {
        const { role, account_status, expires_at } = JSON.parse(value) as { role: TokenRole; account_status: string; expires_at: number };
        return { kind: "hit", state: { role, account_status, session_active: true, session_expires_at: new Date(expires_at) } };
      }
      return {
        kind: "miss",
        async store(state) {
          // Only live sessions are kept: a refused token is not asked about again and again by
          // honest clients, and a forged session id must not fill Redis.
          if (!state?.session_active || !state.session_expires_at || generation !== startedAt || !trusted) return;
          const ttlMs = Math.min(state.session_expires_at.getTime() - now(), maxTtlS * 1000);
          if (ttlMs <= 0) return;
          const value = JSON.stringify({ role: state.role, account_status: state.account_status, expires_at: state.session_expires_at.getTime() });
          await client
            .eval(STORE, 3, sessionKey(sessionId), generationKey(userId), indexKey(userId), seenGeneration ?? "", value, ttlMs, sessionId, maxTtlS * 1000)
            .catch(failed("store"));
        },
      };
    },

    async invalidate(userId) {
      generation++;
      if (!redis.isReady()) return distrust("invalidation while redis is unavailable");
      await client.eval(INVALIDATE, 2, indexKey(userId), generationKey(userId), sessionKey(""), randomUUID(), GENERATION_TTL_MS).catch(failed("invalidation"));
    },

    async revokeToken(tokenId, expiresAtS) {
      const ttlMs = expiresAtS * 1000 - now();
      if (ttlMs <= 0 || !redis.isReady()) return;
      await client.set(redis.key("blacklist", "token", tokenId), "1", "PX", ttlMs).catch(failed("blacklist"));
    },

    listening(isListening) {
      listening = isListening;
      if (!isListening) return distrust("LISTEN connection lost");
      // Notifications may have been missed while it was down (or before this process started).
      distrust("LISTEN connection (re)established");
      lastFlush = -Infinity;
      recover();
    },

    async inUse() {
      if (!usable()) await becameUsable.promise;
    },
  };
}
