// A TCP (or TLS-terminating) relay in front of the machine's Redis, so that tests can make a real
// Redis go away, stop answering, or speak TLS, without touching the shared server other test files
// use. Nothing is simulated: every command still reaches 127.0.0.1:6379 (or REDIS_TEST_URL).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";

export const REDIS_TEST_URL = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379";

export interface RedisProxy {
  /** redis://127.0.0.1:<port> (rediss:// for a TLS relay). */
  url: string;
  /** Redis goes away: open connections are cut and new ones refused, until `restore`. */
  cut(): void;
  restore(): void;
  /** Redis stops answering: connections stay open, nothing is relayed, until `resume`. */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export interface TlsFiles {
  caFile: string;
  key: Buffer;
  cert: Buffer;
  dir: string;
}

/** A throw-away certificate authority and a server certificate for 127.0.0.1 / localhost (openssl). */
export function makeTlsFiles(): TlsFiles {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-tls-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=spendgate test CA");
  run("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  fs.writeFileSync(path.join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
  return { dir, caFile: path.join(dir, "ca.pem"), key: fs.readFileSync(path.join(dir, "server.key")), cert: fs.readFileSync(path.join(dir, "server.pem")) };
}

export async function startRedisProxy(options: { tls?: TlsFiles; tlsMaxVersion?: tls.SecureVersion } = {}): Promise<RedisProxy> {
  const target = new URL(REDIS_TEST_URL);
  const sockets = new Set<net.Socket>();
  let refusing = false;
  let stalled = false;
  const pairs = new Set<[net.Socket, net.Socket]>();

  const relay = (client: net.Socket) => {
    if (refusing) return void client.destroy();
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    for (const socket of pair) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        sockets.delete(socket);
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    if (stalled) pauseBoth(pair);
  };
  const pauseBoth = ([a, b]: [net.Socket, net.Socket]) => {
    a.unpipe(b);
    b.unpipe(a);
    a.pause();
    b.pause();
  };

  const server = options.tls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert, ...(options.tlsMaxVersion && { maxVersion: options.tlsMaxVersion }) }, relay)
    : net.createServer(relay);
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;

  return {
    url: `${options.tls ? "rediss" : "redis"}://127.0.0.1:${port}`,
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      refusing = false;
    },
    stall() {
      stalled = true;
      for (const pair of pairs) pauseBoth(pair);
    },
    resume() {
      stalled = false;
      for (const [a, b] of pairs) {
        a.pipe(b);
        b.pipe(a);
        a.resume();
        b.resume();
      }
    },
    async close() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
