// The storage the configuration asks for: S3 when S3_BUCKET is set, else the local directory.
import type { BaseConfig, StorageConfig } from "../config.ts";
import { createLocalStorage, type LocalStorage } from "./local.ts";
import { createS3Storage } from "./s3.ts";
import type { Clock, ObjectStorage } from "./storage.ts";

export interface StorageOptions {
  /** The gateway's public address (local storage's upload URLs); unused by a worker process. */
  publicUrl?: () => string;
  clock?: Clock;
}

/** Either backend; `kind` tells them apart (the gateway serves uploads for the local one). */
export type Storage = LocalStorage | (ObjectStorage & { readonly kind: "s3" });

export function createStorage(config: StorageConfig, base: BaseConfig, { publicUrl, clock }: StorageOptions = {}): Storage {
  if (config.s3) return createS3Storage(config.s3, clock);
  return createLocalStorage({
    config: config.local,
    dataDir: base.dataDir,
    publicUrl: publicUrl ?? (() => { throw new Error("this process does not serve uploads (no public URL)"); }),
    clock,
  });
}
