// The gateway as the local store's upload endpoint (no S3_BUCKET): PUT /storage/<key> with the
// query string of a URL from createUpload. The signature covers the key, the expiry, the content
// type and the length, so the checks are on the request as sent; errors are S3's codes, in JSON.
import type { Express, Response } from "express";
import type { Logger } from "../logger.ts";
import { isUploadKey, LOCAL_UPLOAD_PATH, type LocalStorage } from "../storage/local.ts";

const refuse = (res: Response, status: number, code: string, message: string) => res.status(status).json({ error: { code, message } });

export function installUploads(app: Express, storage: LocalStorage, log: Logger): void {
  app.put(`${LOCAL_UPLOAD_PATH}*key`, async (req, res, next) => {
    const key = (req.params as { key: string[] }).key.join("/");
    const { expires, signature } = req.query;
    const length = req.headers["content-length"];
    if (!isUploadKey(key) || typeof expires !== "string" || typeof signature !== "string") {
      return refuse(res, 403, "AccessDenied", "not a pre-signed upload URL");
    }
    if (length === undefined) return refuse(res, 411, "MissingContentLength", "send the content-length the URL was signed for");
    const check = storage.check(key, expires, signature, req.headers["content-type"] ?? "", length);
    if (check === "expired") return refuse(res, 403, "AccessDenied", "request has expired: ask createUpload for a new URL");
    if (check === "bad-signature") {
      return refuse(res, 403, "SignatureDoesNotMatch", "the URL was not signed for this key, content type and content length");
    }
    try {
      await storage.write(key, req, Number(length));
      res.status(200).end();
    } catch (error) {
      if (req.readableAborted || req.destroyed) return;
      log.warn({ err: error, key }, "upload refused");
      if (!res.headersSent) refuse(res, 400, "IncompleteBody", "the body does not have the signed content-length");
      else next(error);
    }
  });
}
