// The outbound-request guard (src/net/outbound.ts): which addresses count as public, which URLs
// are accepted, and that a real request to a loopback server is refused unless allowed, whether
// the URL names the address or a host name that resolves to it.
import http from "node:http";
import type { AddressInfo } from "node:net";
import test from "ava";
import { loadConfigSections, type OutboundConfig } from "../../src/config.ts";
import { checkOutboundUrl, isPublicAddress, OutboundRefusedError, sendOutbound } from "../../src/net/outbound.ts";

const outbound = (env: Record<string, string>): OutboundConfig => loadConfigSections(["outbound"], env).outbound;
const guarded = outbound({ NODE_ENV: "test" });
const open = outbound({ NODE_ENV: "test", OUTBOUND_ALLOW_PRIVATE: "true" });
// Only the timeout test waits for the deadline: a short one there, the default everywhere else
// (a busy machine must not turn an answered request into a timeout).
const impatient = outbound({ NODE_ENV: "test", OUTBOUND_ALLOW_PRIVATE: "true", OUTBOUND_TIMEOUT_MS: "500" });

let server: http.Server;
let port: number;
const received: { method?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
test.before(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ method: req.method, headers: req.headers, body });
      if (req.url === "/redirect") return void res.writeHead(302, { location: "http://127.0.0.1:1/" }).end();
      if (req.url === "/slow") return; // never answers
      res.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(100_000));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
test.after.always(() => {
  server.closeAllConnections();
  server.close();
});

test("public and non-public addresses", (t) => {
  for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2a00:1450:4001:80b::200e"]) {
    t.true(isPublicAddress(address), address);
  }
  for (const address of [
    "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:7f00:1",
    "::ffff:a9fe:a9fe", "2001:db8::1", "2002:7f00:1::1", "64:ff9b::7f00:1", "not an address",
  ]) {
    t.false(isPublicAddress(address), address);
  }
});

test("URLs: http(s) only (https only in production), no credentials, no literal private address", (t) => {
  const reason = (url: string, config: OutboundConfig) => t.throws(() => checkOutboundUrl(url, config), { instanceOf: OutboundRefusedError }).reason;
  t.is(reason("ftp://example.com/x", guarded), "scheme_not_allowed");
  t.is(reason("not a url", guarded), "invalid_url");
  t.is(reason("https://user:pw@example.com/hook", guarded), "credentials_in_url");
  t.is(reason("http://127.0.0.1/hook", guarded), "private_address");
  t.is(reason("http://[::1]:8080/hook", guarded), "private_address");
  t.is(reason("http://169.254.169.254/latest/meta-data", guarded), "private_address");
  const production = outbound({ NODE_ENV: "production" });
  t.is(reason("http://example.com/hook", production), "scheme_not_allowed");
  t.is(checkOutboundUrl("https://example.com/hook", production).hostname, "example.com");
  t.is(checkOutboundUrl("http://127.0.0.1/hook", open).hostname, "127.0.0.1");
});

test("private targets may be allowed in development and tests, never in production", (t) => {
  t.true(outbound({ NODE_ENV: "development" }).allowPrivateAddresses);
  t.false(outbound({ NODE_ENV: "test" }).allowPrivateAddresses);
  t.false(outbound({ NODE_ENV: "production" }).allowPrivateAddresses);
  const error = t.throws(() => loadConfigSections(["outbound"], { NODE_ENV: "production", OUTBOUND_ALLOW_PRIVATE: "true" }));
  t.regex(error.message, /OUTBOUND_ALLOW_PRIVATE: cannot be true in production/);
});

test("a request to a loopback server is refused, by address and by a name resolving to it, and nothing arrives", async (t) => {
  const before = received.length;
  for (const url of [`http://127.0.0.1:${port}/hook`, `http://localhost:${port}/hook`]) {
    const error = await t.throwsAsync(sendOutbound(url, { body: "{}" }, guarded), { instanceOf: OutboundRefusedError });
    t.is(error.reason, "private_address", url);
  }
  t.is(received.length, before, "the server saw no request");
});

test("allowed, it sends the request and keeps a bounded part of the answer; redirects are not followed", async (t) => {
  const answer = await sendOutbound(`http://localhost:${port}/hook`, { headers: { "x-test": "1", "content-type": "application/json" }, body: '{"a":1}' }, open);
  t.is(answer.status, 200);
  t.is(answer.body.length, open.maxResponseBytes);
  t.like(received.at(-1), { method: "POST", body: '{"a":1}' });
  t.is(received.at(-1)!.headers["x-test"], "1");
  const redirect = await sendOutbound(`http://127.0.0.1:${port}/redirect`, {}, open);
  t.is(redirect.status, 302, "the 3xx is returned, not followed");
});

test("a target that does not answer in time fails with a timeout", async (t) => {
  const error = await t.throwsAsync(sendOutbound(`http://127.0.0.1:${port}/slow`, {}, impatient));
  t.regex(`${error.name} ${error.message}`, /timeout|abort/i);
});
