// Rate limits (rate-limiter-flexible): login and register attempts per client IP, login attempts
// per account (email), and requests per API key. With REDIS_URL the counters live in Redis (the
// shared connection of src/redis.ts) and are shared by every gateway instance; without it they
// are per process, in memory. If Redis becomes unreachable, an in-memory limiter takes over
// (insuranceLimiter) instead of failing open.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { RateLimitConfig } from "../config.ts";
import type { SharedRedis } from "../redis.ts";

export interface RateLimits {
  loginPerIp: RateLimiterAbstract;
  loginPerAccount: RateLimiterAbstract;
  requestsPerApiKey: RateLimiterAbstract;
}

export function createRateLimits(config: RateLimitConfig, redis: SharedRedis | undefined): RateLimits {
  const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    return redis ? new RateLimiterRedis({ storeClient: redis.client, keyPrefix: redis.key(keyPrefix), points, duration, insuranceLimiter: memory }) : memory;
  };
  return {
    loginPerIp: limiter("login-ip", config.loginPerIpPerHour, 3600),
    loginPerAccount: limiter("login-account", config.loginPerAccountPerHour, 3600),
    requestsPerApiKey: limiter("api-key", config.requestsPerKeyPerMinute, 60),
  };
}

/** Consumes one point; returns the seconds to wait when the limit is exhausted, else 0. */
export async function consume(limiter: RateLimiterAbstract, key: string): Promise<number> {
  try {
    await limiter.consume(key);
    return 0;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw rejection;
  }
}
