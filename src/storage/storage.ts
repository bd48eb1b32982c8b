// What the upload flow needs from object storage, whichever backend holds the files: S3 (or any
// S3-compatible store, src/storage/s3.ts) or a local directory served by the gateway itself
// (src/storage/local.ts). Pre-signed uploads carry the declared length and content type in their
// signature, so the store itself refuses a larger body or another type (seed 003, issue 12).
import type { Readable } from "node:stream";

/** Seed 003: pre-signed URLs expire after 15 minutes. */
export const UPLOAD_URL_TTL_S = 15 * 60;

/** The content type a file type is uploaded with (and signed for). */
export const CONTENT_TYPES = { csv: "text/csv", json: "application/json" } as const;
export type FileType = keyof typeof CONTENT_TYPES;

export interface PresignedUpload {
  method: "PUT";
  url: string;
  /** Headers the client must send exactly (they are part of the signature). */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface ObjectStorage {
  readonly kind: "s3" | "local";
  /** Recorded in data_uploads.s3_bucket: the bucket, or "local". */
  readonly bucket: string;
  presignUpload(key: string, contentType: string, contentLength: number): Promise<PresignedUpload>;
  /** The stored object's size, or undefined when there is no such object. */
  size(key: string): Promise<number | undefined>;
  /** Streams the object; rejects with ObjectMissingError when there is none. */
  read(key: string): Promise<Readable>;
  /** Deletes the object; nothing happens when it is already gone. */
  remove(key: string): Promise<void>;
}

export class ObjectMissingError extends Error {
  constructor(key: string) {
    super(`no stored object ${key}`);
    this.name = "ObjectMissingError";
  }
}

/** The time source of signatures: tests move it to produce expired URLs without waiting. */
export type Clock = () => Date;
