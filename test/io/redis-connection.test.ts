// The shared Redis connection (src/redis.ts) against the machine's Redis, reached through a relay
// the tests control: TLS (rediss://) with a configured certificate authority and minimum
// version, the connect and command timeouts, and a Redis that goes away and comes back.
import { once } from "node:events";
import net from "node:net";
import fs from "node:fs";
import test from "ava";
import { loadConfigSections } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { connectRedis, type SharedRedis } from "../../src/redis.ts";
import { makeTlsFiles, startRedisProxy, type RedisProxy } from "../helpers/redisProxy.ts";

const tlsFiles = makeTlsFiles();
test.after.always(() => fs.rmSync(tlsFiles.dir, { recursive: true, force: true }));

const open: { close(): Promise<void> }[] = [];
test.afterEach.always(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

function connect(env: Record<string, string>): SharedRedis {
  const { redis } = loadConfigSections(["redis"], { NODE_ENV: "test", REDIS_KEY_PREFIX: "spendgate-io-test", ...env });
  const shared = connectRedis(redis, createLogger("silent"))!;
  open.push(shared);
  return shared;
}

async function proxy(options: Parameters<typeof startRedisProxy>[0] = {}): Promise<RedisProxy> {
  const started = await startRedisProxy(options);
  open.push(started);
  return started;
}

const ready = async (redis: SharedRedis) => {
  if (!redis.isReady()) await once(redis.client, "ready");
};

test.serial("without REDIS_URL there is no connection at all", (t) => {
  const { redis } = loadConfigSections(["redis"], { NODE_ENV: "test" });
  t.is(connectRedis(redis, createLogger("silent")), undefined);
});

test.serial("rediss:// speaks TLS 1.3 to a server whose certificate the configured CA signed", async (t) => {
  const relay = await proxy({ tls: tlsFiles });
  const redis = connect({ REDIS_URL: relay.url, REDIS_TLS_CA_FILE: tlsFiles.caFile });
  await ready(redis);
  const key = redis.key("tls-check", String(process.pid));
  await redis.client.set(key, "over tls", "PX", 10_000);
  t.is(await redis.client.get(key), "over tls");
  const stream = (redis.client as unknown as { stream: import("node:tls").TLSSocket }).stream;
  t.is(stream.getProtocol(), "TLSv1.3");
  t.true(stream.authorized);
});

test.serial("rediss:// refuses a server certificate no trusted CA signed, and never becomes ready", async (t) => {
  const relay = await proxy({ tls: tlsFiles });
  const redis = connect({ REDIS_URL: relay.url });
  const [error] = (await once(redis.client, "error")) as [Error & { code?: string }];
  t.regex(error.code ?? error.message, /SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify/i);
  t.false(redis.isReady());
  await t.throwsAsync(redis.client.get(redis.key("x")), { message: /writeable|offline|not connected/i }, "commands fail at once instead of waiting");
});

test.serial("the minimum TLS version is TLS 1.3 by default (seed 003) and can be lowered to 1.2", async (t) => {
  const relay = await proxy({ tls: tlsFiles, tlsMaxVersion: "TLSv1.2" });
  const strict = connect({ REDIS_URL: relay.url, REDIS_TLS_CA_FILE: tlsFiles.caFile });
  const [error] = (await once(strict.client, "error")) as [Error & { code?: string }];
  t.regex(`${error.code} ${error.message}`, /VERSION|protocol/i);
  const lenient = connect({ REDIS_URL: relay.url, REDIS_TLS_CA_FILE: tlsFiles.caFile, REDIS_TLS_MIN_VERSION: "TLSv1.2" });
  await ready(lenient);
  t.is(await lenient.client.ping(), "PONG");
});

test.serial("an unreadable REDIS_TLS_CA_FILE stops start-up with a message naming it", (t) => {
  const { redis } = loadConfigSections(["redis"], { NODE_ENV: "test", REDIS_URL: "rediss://127.0.0.1:1", REDIS_TLS_CA_FILE: "/nonexistent/ca.pem" });
  t.throws(() => connectRedis(redis, createLogger("silent")), { message: /REDIS_TLS_CA_FILE: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/ });
});

test.serial("connecting gives up after REDIS_CONNECT_TIMEOUT_MS when the server never completes the handshake", async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => void sockets.add(socket)); // accepts TCP, never answers the TLS handshake
  open.push({ close: () => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), silent.close(() => resolve()))) });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const { port } = silent.address() as net.AddressInfo;
  const redis = connect({ REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_CONNECT_TIMEOUT_MS: "200" });
  const [error] = (await once(redis.client, "error")) as [Error & { code?: string }];
  t.is(error.code, "ETIMEDOUT");
  t.false(redis.isReady());
});

test.serial("a command without an answer fails after REDIS_COMMAND_TIMEOUT_MS", async (t) => {
  const relay = await proxy();
  const redis = connect({ REDIS_URL: relay.url, REDIS_COMMAND_TIMEOUT_MS: "200" });
  await ready(redis);
  relay.stall();
  await t.throwsAsync(redis.client.get(redis.key("stalled")), { message: /Command timed out/ });
  relay.resume();
});

test.serial("a Redis that goes away is reported not ready, commands fail fast, and the connection comes back by itself", async (t) => {
  const relay = await proxy();
  const redis = connect({ REDIS_URL: relay.url });
  await ready(redis);
  let reconnects = 0;
  redis.onReconnect(() => reconnects++);
  relay.cut();
  await once(redis.client, "close");
  t.false(redis.isReady());
  await t.throwsAsync(redis.client.get(redis.key("gone")), { message: /writeable|offline|not connected/i });
  relay.restore();
  await once(redis.client, "ready");
  t.true(redis.isReady());
  t.is(reconnects, 1, "listeners learn that the connection is back (caches forget what they may have missed)");
  t.is(await redis.client.ping(), "PONG");
});
