// The embedded default: objects are files under UPLOADS_DIR, and the gateway itself plays the
// store's role for uploads (src/server/installUploads.ts). Its pre-signed URLs work like S3's:
// an HMAC over the method, the key, the expiry, the content type and the length, so a body of
// another length or type, a changed key or an expired URL is refused by the signature check.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { LocalStorageConfig } from "../config.ts";
import { ObjectMissingError, UPLOAD_URL_TTL_S, type Clock, type ObjectStorage } from "./storage.ts";

/** Where the gateway accepts uploads: PUT <public url>/storage/<key>?expires=..&signature=.. */
export const LOCAL_UPLOAD_PATH = "/storage/";

export type UploadCheck = "ok" | "expired" | "bad-signature";

export interface LocalStorage extends ObjectStorage {
  readonly kind: "local";
  /** Checks a PUT against its URL's signature, with the request's own content type and length. */
  check(key: string, expires: string, signature: string, contentType: string, contentLength: string): UploadCheck;
  /** Stores exactly `length` bytes of `body` under `key` (atomically: a partial body leaves nothing). */
  write(key: string, body: Readable, length: number): Promise<void>;
}

export interface LocalStorageOptions {
  config: LocalStorageConfig;
  /** Where a generated signing secret is kept outside production (DATA_DIR). */
  dataDir: string;
  /** The gateway's public address, known once it listens (UPLOADS_PUBLIC_URL overrides it). */
  publicUrl: () => string;
  clock?: Clock;
}

/** Keys are built by SQL (app_private.create_upload); anything else is refused before touching the disk. */
const KEY_PATTERN = /^uploads\/[0-9a-f-]{36}\/[0-9a-f-]{36}\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

export function isUploadKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

function loadSecret(config: LocalStorageConfig, dataDir: string): Buffer {
  if (config.signingSecret) return Buffer.from(config.signingSecret);
  // Generated once and kept in DATA_DIR, so that URLs survive a restart and every process using
  // that folder agrees on it (gateways on several machines need UPLOAD_SIGNING_SECRET).
  const file = path.join(dataDir, "upload-signing-secret");
  try {
    return Buffer.from(fs.readFileSync(file, "utf8").trim());
  } catch {
    const secret = randomBytes(48).toString("base64url");
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
      return Buffer.from(secret);
    } catch {
      return Buffer.from(fs.readFileSync(file, "utf8").trim()); // another process wrote it first
    }
  }
}

export function createLocalStorage({ config, dataDir, publicUrl, clock = () => new Date() }: LocalStorageOptions): LocalStorage {
  let secret: Buffer | undefined;
  const sign = (key: string, expires: string, contentType: string, contentLength: string) =>
    createHmac("sha256", (secret ??= loadSecret(config, dataDir)))
      .update(["PUT", key, expires, contentType, contentLength].join("\n"))
      .digest("base64url");
  const fileOf = (key: string) => {
    if (!isUploadKey(key)) throw new Error(`not an upload key: ${key}`);
    return path.join(config.dir, ...key.split("/"));
  };
  return {
    kind: "local",
    bucket: "local",
    async presignUpload(key, contentType, contentLength) {
      const expiresAt = new Date(clock().getTime() + UPLOAD_URL_TTL_S * 1000);
      const expires = String(Math.floor(expiresAt.getTime() / 1000));
      const signature = sign(key, expires, contentType, String(contentLength));
      const url = `${config.publicUrl ?? publicUrl()}${LOCAL_UPLOAD_PATH}${key}?expires=${expires}&signature=${signature}`;
      return { method: "PUT", url, headers: { "content-type": contentType, "content-length": String(contentLength) }, expiresAt };
    },
    check(key, expires, signature, contentType, contentLength) {
      const expected = Buffer.from(sign(key, expires, contentType, contentLength));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "bad-signature";
      return Number(expires) * 1000 <= clock().getTime() ? "expired" : "ok";
    },
    async write(key, body, length) {
      const file = fileOf(key);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.${randomBytes(6).toString("hex")}.partial`;
      let received = 0;
      try {
        await pipeline(
          body,
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              received += chunk.length;
              if (received > length) throw new Error("body longer than the signed content-length");
              yield chunk;
            }
          },
          fs.createWriteStream(partial, { mode: 0o600 }),
        );
        if (received !== length) throw new Error("body shorter than the signed content-length");
        await fs.promises.rename(partial, file);
      } catch (error) {
        await fs.promises.rm(partial, { force: true });
        throw error;
      }
    },
    async size(key) {
      try {
        return (await fs.promises.stat(fileOf(key))).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    async read(key) {
      const file = fileOf(key);
      // Opened before it is returned, so a missing file is reported here rather than mid-stream.
      const handle = await fs.promises.open(file, "r").catch((error: NodeJS.ErrnoException) => {
        throw error.code === "ENOENT" ? new ObjectMissingError(key) : error;
      });
      return handle.createReadStream();
    },
    async remove(key) {
      await fs.promises.rm(fileOf(key), { force: true });
    },
  };
}
