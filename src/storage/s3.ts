// S3 through the AWS SDK v3: AWS itself, or MinIO, Ceph or any S3-compatible store (S3_ENDPOINT,
// S3_FORCE_PATH_STYLE). Credentials come from the SDK's standard chain (AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance or task role): never from our configuration.
import type { Readable } from "node:stream";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { S3StorageConfig } from "../config.ts";
import { ObjectMissingError, UPLOAD_URL_TTL_S, type Clock, type ObjectStorage } from "./storage.ts";

export function createS3Storage(config: S3StorageConfig, clock: Clock = () => new Date()): ObjectStorage & { readonly kind: "s3" } {
  const client = new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    // Otherwise pre-signed PUTs carry an empty CRC32 checksum that real S3 and MinIO reject
    // (aws-sdk-js-v3#6994), and reads of objects uploaded without one warn.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const bucket = config.bucket;
  const notFound = (error: unknown) =>
    error instanceof S3ServiceException && (error.name === "NotFound" || error.name === "NoSuchKey" || error.$metadata.httpStatusCode === 404);
  return {
    kind: "s3" as const,
    bucket,
    async presignUpload(key, contentType, contentLength) {
      const signedAt = clock();
      const command = new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType, ContentLength: contentLength });
      // The presigner leaves content-type out of the signature unless asked: sign it and the
      // length, so the store refuses another type or size.
      const url = await getSignedUrl(client, command, {
        expiresIn: UPLOAD_URL_TTL_S,
        signingDate: signedAt,
        signableHeaders: new Set(["content-type", "content-length"]),
      });
      return {
        method: "PUT",
        url,
        headers: { "content-type": contentType, "content-length": String(contentLength) },
        expiresAt: new Date(signedAt.getTime() + UPLOAD_URL_TTL_S * 1000),
      };
    },
    async size(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return head.ContentLength;
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
    async read(key) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return object.Body as Readable;
      } catch (error) {
        if (notFound(error)) throw new ObjectMissingError(key);
        throw error;
      }
    },
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}
