// The upload flow against an S3 API driven by the real AWS SDK v3 (S3_BUCKET, S3_ENDPOINT,
// S3_FORCE_PATH_STYLE): s3rver behind a SigV4-checking proxy (test/helpers/s3Server.ts), as CI
// runs it; the same flow as the local backend, plus what the pre-signed URL itself promises.
import test from "ava";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { register } from "../api/client.ts";
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3Server } from "../helpers/s3Server.ts";
import { registerUploadFlow } from "./flow.ts";

const BUCKET = "spend-data";
// The SDK's standard credential chain reads these (as it would an instance role in production).
process.env.AWS_ACCESS_KEY_ID = S3_ACCESS_KEY;
process.env.AWS_SECRET_ACCESS_KEY = S3_SECRET_KEY;
const s3 = await startS3Server([BUCKET]);
test.after.always(() => s3.close());

const direct = new S3Client({ region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY } });

const ctx = registerUploadFlow({
  name: "s3",
  env: { S3_BUCKET: BUCKET, S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: "true", S3_REGION: "us-east-1" },
  objectExists: async (key) => {
    try {
      await direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      return true;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw error;
    }
  },
});

test("[s3] the pre-signed PUT signs the host, the content length and the content type, for 15 minutes, with no checksum", async (t) => {
  const user = await register(ctx.gateway.url);
  const { createUpload } = await user.client.data(
    `mutation { createUpload(input: {fileName: "a.json", fileType: json, fileSize: 42}) { presignedUpload { url } } }`,
  );
  const url = new URL(createUpload.presignedUpload.url);
  t.is(url.origin, s3.endpoint);
  t.regex(url.pathname, new RegExp(`^/${BUCKET}/uploads/${user.userId}/[0-9a-f-]{36}/a\\.json$`));
  t.is(url.searchParams.get("X-Amz-SignedHeaders"), "content-length;content-type;host");
  t.is(url.searchParams.get("X-Amz-Expires"), "900");
  t.is(url.searchParams.get("x-amz-checksum-crc32"), null);
});
