// The upload flow against the embedded default: no S3 settings, files kept under UPLOADS_DIR and
// uploaded to the gateway's own signed URLs.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { registerUploadFlow } from "./flow.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-uploads-"));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

registerUploadFlow({
  name: "local",
  env: { UPLOADS_DIR: dir, UPLOAD_SIGNING_SECRET: "a-test-upload-signing-secret-of-32-bytes-or-more" },
  objectExists: async (key) => fs.existsSync(path.join(dir, ...key.split("/"))),
});
