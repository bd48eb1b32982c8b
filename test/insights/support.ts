// Shared by the insights tests: the machine's Redis (REDIS_TEST_URL), a test that is skipped
// only where there is no Redis and no CI, and waiting for a gateway's Redis connection by its
// `ready` event.
import { once } from "node:events";
import net from "node:net";
import test from "ava";
import type { SharedRedis } from "../../src/redis.ts";
import { REDIS_TEST_URL } from "../helpers/redisProxy.ts";

export { REDIS_TEST_URL };

const redisReachable = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(REDIS_TEST_URL);
  const socket = net.connect(Number(port || 6379), hostname, () => (socket.end(), resolve(true)));
  socket.on("error", () => resolve(false));
});
/** CI has Redis, so there these tests always run; elsewhere they are skipped without one. */
export const redisTest = redisReachable || process.env.CI ? test : test.skip;
export const redisSerialTest = redisReachable || process.env.CI ? test.serial : test.serial.skip;

export async function redisReady(redis: SharedRedis | undefined): Promise<SharedRedis> {
  if (!redis) throw new Error("the gateway has no Redis (REDIS_URL unset)");
  if (!redis.isReady()) await once(redis.client, "ready");
  return redis;
}
