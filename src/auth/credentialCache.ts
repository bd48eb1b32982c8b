// The per-request credential check without a database round trip: the answers of
// app_private.user_credentials / api_key_credentials (sql/2200-request-authentication.sql) are
// kept in process memory and forgotten the moment the database says they changed. Triggers on
// users, sessions and api_keys notify `spendgate_credentials` with the user's id at commit (role
// change, suspension, deletion, logout, revocation, expiry edits), whoever made the change; every
// instance listens (src/database/listen.ts) and drops that user's entries. Expiry needs no
// notification: each entry keeps the session's or key's expiry and is checked against the clock.
//
// A notification reaches the other instances a moment after the commit (milliseconds on one
// network, the time PostgreSQL takes to hand it to each listening connection): a request that an
// instance answers from memory inside that moment still sees the old state. Closing it would take
// a database check on every request, the round trip this cache exists to save.
//
// Correctness comes before hits: while the LISTEN connection is down nothing is cached or served
// from the cache (a missed notification cannot leave a revoked credential usable), everything is
// forgotten when it comes back, and an answer read while an invalidation arrived is not stored.
//
// With Redis (REDIS_URL), tokens with a session are checked in Redis instead (./sessionCache.ts),
// which every instance shares: the instance whose request changed a user's credentials deletes
// that user's session keys before its answer leaves, and logout blacklists the calling token, so
// the other instances refuse it at their next request without waiting for the notification.
// Notifications delete them too (changes made by SQL or jobs). Tokens without a session, API keys,
// and every check while Redis is unavailable keep the memory + NOTIFY path.
import type pg from "pg";
import { listen, type Listener } from "../database/listen.ts";
import type { Logger } from "../logger.ts";
import type { SharedRedis } from "../redis.ts";
import { createSessionCache, type SessionCache } from "./sessionCache.ts";
import type { TokenRole } from "./tokens.ts";

export const CREDENTIALS_CHANNEL = "spendgate_credentials";

export interface AccountState {
  role: TokenRole;
  account_status: string;
  /** Null when the token has no session. */
  session_active: boolean | null;
  session_expires_at: Date | null;
}

export interface ApiKeyState {
  api_key_id: string;
  user_id: string;
  role: TokenRole;
  key_status: string;
  account_status: string;
  expires_at: Date | null;
}

/** The token was blacklisted by logout (Redis). */
export const TOKEN_REVOKED = "revoked";

export interface TokenCredentials {
  userId: string;
  sessionId?: string;
  /** The token's jti, checked against the blacklist. */
  tokenId?: string;
}

export interface CredentialStore {
  account(token: TokenCredentials): Promise<AccountState | typeof TOKEN_REVOKED | undefined>;
  apiKey(keyHash: string): Promise<ApiKeyState | undefined>;
  /**
   * Checks answered from memory (hits), from Redis (redisHits), from the database (misses), and
   * notifications received, since start.
   */
  stats(): { hits: number; redisHits: number; misses: number; invalidations: number };
  /**
   * Forgets the user's entries now (in memory, and in Redis where set): this instance's own
   * request changed them and has committed. Resolves when Redis has them deleted (or failed).
   */
  forget(userId: string): Promise<void>;
  /** Logout: blacklists the token in Redis until it expires (nothing without Redis or a token id). */
  revokeToken(tokenId: string | undefined, expiresAtS: number | undefined): Promise<void>;
  /** Resolves when this instance next forgets the user's entries (a notification, or forget()); an aborted signal stops waiting. */
  forgotten(userId: string, signal?: AbortSignal): Promise<void>;
  /** Resolves once the LISTEN connection is in place (at once when there is no cache). */
  listening(): Promise<void>;
  /** Resolves once session tokens are checked in Redis (at once if they are); rejects without Redis. */
  redisInUse(): Promise<void>;
  close(): Promise<void>;
}

export interface CredentialCacheOptions {
  pool: pg.Pool;
  /** Where to LISTEN; without it (or with maxEntries 0) every check asks the database. */
  listenUrl: string | undefined;
  maxEntries: number;
  /** The shared Redis connection (REDIS_URL): session tokens are checked there. Needs listenUrl and maxEntries > 0. */
  redis?: SharedRedis;
  /** REFRESH_TOKEN_TTL_S: no session outlives it. */
  sessionTtlS?: number;
  log: Logger;
  now?: () => number;
}

interface Entry {
  userId: string;
  value: AccountState | ApiKeyState;
}

export function createCredentialStore({ pool, listenUrl, maxEntries, redis, sessionTtlS = 30 * 24 * 3600, log, now = Date.now }: CredentialCacheOptions): CredentialStore {
  const entries = new Map<string, Entry>();
  const keysByUser = new Map<string, Set<string>>();
  /** Bumped by every invalidation: an answer read across a bump may be stale and is not kept. */
  let generation = 0;
  let hits = 0;
  let redisHits = 0;
  let misses = 0;
  let invalidations = 0;
  const waiters = new Map<string, Array<() => void>>();

  const forget = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    const keys = keysByUser.get(entry.userId);
    keys?.delete(key);
    if (keys?.size === 0) keysByUser.delete(entry.userId);
  };
  const forgetUser = (userId: string) => {
    generation++;
    for (const key of keysByUser.get(userId) ?? []) entries.delete(key);
    keysByUser.delete(userId);
    for (const resolve of waiters.get(userId) ?? []) resolve();
    waiters.delete(userId);
  };
  const forgetAll = () => {
    generation++;
    entries.clear();
    keysByUser.clear();
  };

  const firstListen = Promise.withResolvers<void>();
  const cacheLog = log.child({ component: "credential-cache" });
  // Redis without notifications could not hear of changes made by SQL: both, or memory alone.
  const sessions: SessionCache | undefined =
    redis && listenUrl && maxEntries > 0 ? createSessionCache({ redis, maxTtlS: sessionTtlS, log: cacheLog, now }) : undefined;
  const listener: Listener | undefined =
    listenUrl && maxEntries > 0
      ? listen({
          url: listenUrl,
          channel: CREDENTIALS_CHANNEL,
          onNotification(userId) {
            invalidations++;
            forgetUser(userId);
            // Idempotent when this instance (or another) already did it at commit.
            void sessions?.invalidate(userId);
          },
          onListening(listening) {
            forgetAll();
            sessions?.listening(listening);
            if (listening) firstListen.resolve();
          },
          log: cacheLog,
        })
      : undefined;
  if (!listener) firstListen.resolve();

  async function cached<T extends AccountState | ApiKeyState>(key: string, load: () => Promise<T | undefined>, userIdOf: (value: T) => string): Promise<T | undefined> {
    const listening = listener?.isListening() ?? false;
    if (listening) {
      const entry = entries.get(key);
      if (entry) {
        // Most recently used last, so the oldest entry is the first to go when full.
        entries.delete(key);
        entries.set(key, entry);
        hits++;
        return entry.value as T;
      }
    }
    misses++;
    const before = generation;
    const value = await load();
    // Unknown credentials are not kept: a flood of made-up keys must not evict real ones.
    if (value && listening && listener!.isListening() && generation === before) {
      const userId = userIdOf(value);
      entries.set(key, { userId, value });
      let keys = keysByUser.get(userId);
      if (!keys) keysByUser.set(userId, (keys = new Set()));
      keys.add(key);
      if (entries.size > maxEntries) forget(entries.keys().next().value!);
    }
    return value;
  }

  return {
    async account({ userId, sessionId, tokenId }) {
      const load = async () => (await pool.query<AccountState>("select * from app_private.user_credentials($1, $2)", [userId, sessionId ?? null])).rows[0];
      const inRedis = sessionId && sessions?.usable() ? await sessions.lookup(userId, sessionId, tokenId) : undefined;
      let state: AccountState | undefined;
      if (inRedis?.kind === "revoked") {
        redisHits++;
        return TOKEN_REVOKED;
      } else if (inRedis?.kind === "hit") {
        redisHits++;
        state = inRedis.state;
      } else if (inRedis?.kind === "miss") {
        misses++;
        state = await load();
        await inRedis.store(state);
      } else {
        state = await cached(`u:${userId}:${sessionId ?? ""}`, load, () => userId);
      }
      if (state?.session_active && state.session_expires_at && state.session_expires_at.getTime() <= now()) return { ...state, session_active: false };
      return state;
    },
    async apiKey(keyHash) {
      const state = await cached(
        `k:${keyHash}`,
        async () => (await pool.query<ApiKeyState>("select * from app_private.api_key_credentials($1)", [keyHash])).rows[0],
        (key) => key.user_id,
      );
      if (state?.key_status === "active" && state.expires_at && state.expires_at.getTime() <= now()) return { ...state, key_status: "expired" };
      return state;
    },
    stats: () => ({ hits, redisHits, misses, invalidations }),
    async forget(userId) {
      forgetUser(userId);
      await sessions?.invalidate(userId);
    },
    async revokeToken(tokenId, expiresAtS) {
      if (tokenId && expiresAtS) await sessions?.revokeToken(tokenId, expiresAtS);
    },
    forgotten(userId, signal) {
      const { promise, resolve } = Promise.withResolvers<void>();
      waiters.set(userId, [...(waiters.get(userId) ?? []), resolve]);
      signal?.addEventListener("abort", () => {
        const rest = waiters.get(userId)?.filter((waiter) => waiter !== resolve) ?? [];
        if (rest.length > 0) waiters.set(userId, rest);
        else waiters.delete(userId);
      }, { once: true });
      return promise;
    },
    listening: () => firstListen.promise,
    redisInUse: () => sessions?.inUse() ?? Promise.reject(new Error("no Redis tier: REDIS_URL unset or the credential cache off")),
    async close() {
      await listener?.close();
      forgetAll();
    },
  };
}
