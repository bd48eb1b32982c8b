// The one way Spendgate makes an HTTP request to an address a user chose (webhook deliveries,
// SMS webhooks): it refuses to reach private, loopback, link-local and other non-public
// addresses (SSRF), unless the configuration allows them (development only).
//
// Why the check sits in the connection and not only in a URL check: a host name can resolve to a
// public address when a webhook is registered and to 127.0.0.1 when it is called (DNS rebinding).
// So every request resolves the name itself, checks EVERY address it gets, and connects only to
// an address it checked (the `lookup` hook of node:http). IP literals never reach `lookup`, so
// they are checked before the request. Redirects are not followed (a 3xx is returned as is: a
// redirect to an internal address would otherwise bypass the check), the answer body is read up
// to a bound, and the whole exchange has a deadline.
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { OutboundConfig } from "../config.ts";

/** Why an outbound request was refused before any byte was sent. */
export class OutboundRefusedError extends Error {
  readonly reason: "invalid_url" | "scheme_not_allowed" | "credentials_in_url" | "private_address" | "unresolvable";
  constructor(reason: OutboundRefusedError["reason"], message: string) {
    super(message);
    this.name = "OutboundRefusedError";
    this.reason = reason;
  }
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The start of the answer's body (at most `maxResponseBytes`), as text. */
  body: string;
}

export interface OutboundRequest {
  method?: "POST" | "PUT" | "GET";
  headers?: Record<string, string>;
  body?: string;
}

// Ranges that are not public unicast (IANA special-purpose registries). IPv4-mapped IPv6
// addresses are checked as the IPv4 address they carry; every other IPv6 address must be global
// unicast (2000::/3) outside the special ranges inside it.
const BLOCKED = new net.BlockList();
for (const [prefix, bits] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16],
  ["172.16.0.0", 12], ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.88.99.0", 24], ["192.168.0.0", 16],
  ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) BLOCKED.addSubnet(prefix, bits, "ipv4");
const GLOBAL_UNICAST_V6 = new net.BlockList();
GLOBAL_UNICAST_V6.addSubnet("2000::", 3, "ipv6");
for (const [prefix, bits] of [
  ["2001::", 23], ["2001:db8::", 32], ["2002::", 16], ["3fff::", 20],
] as const) BLOCKED.addSubnet(prefix, bits, "ipv6");

const MAPPED_V4 = /^::ffff:(?:0:)?(\d+\.\d+\.\d+\.\d+)$/i;
const MAPPED_V4_HEX = /^::ffff:(?:0:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i;

/** True for an IP address that is public unicast: not private, loopback, link-local, multicast, reserved or documentation. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return !BLOCKED.check(address, "ipv4");
  if (family !== 6) return false;
  const mapped = MAPPED_V4.exec(address);
  if (mapped) return isPublicAddress(mapped[1]!);
  const mappedHex = MAPPED_V4_HEX.exec(address);
  if (mappedHex) {
    const [high, low] = [parseInt(mappedHex[1]!, 16), parseInt(mappedHex[2]!, 16)];
    return isPublicAddress(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  return GLOBAL_UNICAST_V6.check(address, "ipv6") && !BLOCKED.check(address, "ipv6");
}

/**
 * Checks a URL a user gives us (e.g. when a webhook is registered) without connecting: http(s)
 * only (https only in production), no user:password part, and no literal non-public address.
 * Host names are checked again, after resolution, on every request.
 */
export function checkOutboundUrl(value: string, config: OutboundConfig): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OutboundRefusedError("invalid_url", "not a valid absolute URL");
  }
  const schemes = config.requireHttps ? ["https:"] : ["https:", "http:"];
  if (!schemes.includes(url.protocol)) {
    throw new OutboundRefusedError("scheme_not_allowed", `only ${schemes.map((s) => s.slice(0, -1)).join(" or ")} URLs are allowed`);
  }
  if (url.username || url.password) {
    throw new OutboundRefusedError("credentials_in_url", "a URL must not carry a user name or password");
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (net.isIP(host) && !config.allowPrivateAddresses && !isPublicAddress(host)) {
    throw new OutboundRefusedError("private_address", `${host} is not a public address`);
  }
  return url;
}

/** A dns lookup that fails unless every address the name resolves to is public. */
function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, "", 0);
      const list = addresses as dns.LookupAddress[];
      const refused = allowPrivate ? undefined : list.find((entry) => !isPublicAddress(entry.address));
      if (refused || list.length === 0) {
        const reason = refused ? `${hostname} resolves to ${refused.address}, which is not a public address` : `${hostname} has no address`;
        return callback(new OutboundRefusedError(refused ? "private_address" : "unresolvable", reason) as NodeJS.ErrnoException, "", 0);
      }
      if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/**
 * Sends one request to `url` under the outbound rules and returns the answer (any status: the
 * caller decides what counts as success). Throws OutboundRefusedError when the target is not
 * allowed (nothing was sent), or a network error / timeout error otherwise.
 */
export async function sendOutbound(value: string, request: OutboundRequest, config: OutboundConfig): Promise<OutboundResponse> {
  const url = checkOutboundUrl(value, config);
  const transport = url.protocol === "https:" ? https : http;
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  return new Promise<OutboundResponse>((resolve, reject) => {
    const outgoing = transport.request(url, {
      method: request.method ?? "POST",
      headers: { ...request.headers, ...(body && { "content-length": String(body.length) }) },
      lookup: guardedLookup(config.allowPrivateAddresses),
      agent: false,
      signal: AbortSignal.timeout(config.timeoutMs),
    }, (incoming) => {
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on("data", (chunk: Buffer) => {
        if (size >= config.maxResponseBytes) return;
        chunks.push(chunk.subarray(0, config.maxResponseBytes - size));
        size += chunk.length;
      });
      incoming.on("end", () =>
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
      incoming.on("error", reject);
    });
    outgoing.on("error", (error: Error & { cause?: unknown }) =>
      reject(error.cause instanceof OutboundRefusedError ? error.cause : error),
    );
    outgoing.end(body);
  });
}
