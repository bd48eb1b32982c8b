// Process-level (Redis): with REDIS_URL, rate-limit counters are shared by every gateway
// instance (the machine's Redis at 127.0.0.1:6379 here, or REDIS_TEST_URL).
import { randomUUID } from "node:crypto";
import net from "node:net";
import test from "ava";
import { startTestGateway, useTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { createUser } from "../helpers/fixtures.ts";

const redisUrl = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379";
// CI has Redis, so there the test always runs (and fails without it); on a machine without one,
// `npm test` reports it as skipped rather than failing the whole suite.
const redisReachable = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(redisUrl);
  const socket = net.connect(Number(port || 6379), hostname, () => (socket.end(), resolve(true)));
  socket.on("error", () => resolve(false));
});
const redisTest = redisReachable || process.env.CI ? test.serial : test.serial.skip;

const redis = {
  REDIS_URL: redisUrl,
  REDIS_KEY_PREFIX: `spendgate-test-${randomUUID()}`, // counters of this run only
  RATE_LIMIT_REQUESTS_PER_KEY_PER_MINUTE: "3",
};
let second: TestGateway;
const ctx = useTestGateway(redis, async ({ db }) => {
  second = await startTestGateway(db, redis);
});
test.after.always(() => second?.close());

redisTest("two gateway instances share the requests-per-key counter through Redis", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, { email: "shared@example.com" });
  const { apiKey } = (await ctx.gateway.graphql('mutation { createApiKey(input: {name: "shared"}) { apiKey } }', {}, await ctx.gateway.as(userId))).body.data.createApiKey;
  const key = { "x-api-key": apiKey };
  t.is((await ctx.gateway.graphql("{ version }", {}, key)).status, 200);
  t.is((await second.graphql("{ version }", {}, key)).status, 200);
  t.is((await ctx.gateway.graphql("{ version }", {}, key)).status, 200);
  const limited = await second.graphql("{ version }", {}, key);
  t.is(limited.status, 429, "the fourth request, on the other instance, is over the shared limit of 3");
  t.regex(limited.headers.get("retry-after") ?? "", /^\d+$/);
});
