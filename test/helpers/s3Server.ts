// A real S3 API for the tests: s3rver (the S3 REST API over a folder) behind a small proxy that
// checks the SigV4 signature of pre-signed (query-string) requests as S3 and MinIO do. s3rver
// checks only their expiry; without the proxy a body longer than signed, or of another content
// type, would be accepted here and refused in production. The proxy is written from the SigV4
// specification, independently of the SDK that signs, so the two check each other.
import { createHash, createHmac } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";

/** s3rver's fixed credentials; tests hand them to the SDK's standard chain (AWS_* variables). */
export const S3_ACCESS_KEY = "S3RVER";
export const S3_SECRET_KEY = "S3RVER";

export interface TestS3Server {
  /** The proxy: what S3_ENDPOINT points at. */
  endpoint: string;
  close(): Promise<void>;
}

const encode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (data: string) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** Whether a pre-signed request carries a valid signature for what it actually sends. */
export function presignedSignatureMatches(method: string, rawUrl: string, headers: http.IncomingHttpHeaders, secretKey: string): boolean {
  const [rawPath, rawQuery = ""] = rawUrl.split("?", 2) as [string, string?];
  const params = rawQuery.split("&").filter(Boolean).map((pair) => {
    const [name, value = ""] = pair.split("=", 2) as [string, string?];
    return [decodeURIComponent(name), decodeURIComponent(value.replace(/\+/g, "%20"))] as const;
  });
  const get = (name: string) => params.find(([n]) => n === name)?.[1];
  const signature = get("X-Amz-Signature");
  const credential = get("X-Amz-Credential");
  const amzDate = get("X-Amz-Date");
  const signedHeaders = get("X-Amz-SignedHeaders");
  if (!signature || !credential || !amzDate || !signedHeaders) return false;
  const canonicalQuery = params
    .filter(([name]) => name !== "X-Amz-Signature")
    .map(([name, value]) => `${encode(name)}=${encode(value)}`)
    .sort()
    .join("&");
  const canonicalHeaders = signedHeaders
    .split(";")
    .map((name) => `${name}:${String(headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const canonicalRequest = [method, rawPath, canonicalQuery, canonicalHeaders, signedHeaders, "UNSIGNED-PAYLOAD"].join("\n");
  const [, date, region, service] = credential.split("/") as [string, string, string, string];
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, date), region), service), "aws4_request");
  return createHmac("sha256", key).update(stringToSign).digest("hex") === signature;
}

export async function startS3Server(buckets: string[]): Promise<TestS3Server> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-s3-"));
  const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port: s3Port } = (await s3rver.run()) as AddressInfo;
  const proxy = http.createServer((req, res) => {
    if (req.url?.includes("X-Amz-Signature=") && !presignedSignatureMatches(req.method!, req.url, req.headers, S3_SECRET_KEY)) {
      req.resume();
      res.writeHead(403, { "content-type": "application/xml" });
      res.end("<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>");
      return;
    }
    const upstream = http.request({ host: "127.0.0.1", port: s3Port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", (error) => res.destroy(error));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await s3rver.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
