// Last middleware: errors outside GraphQL (malformed JSON, oversized bodies, bugs) become a JSON
// body with the right status and a code named after it (BAD_REQUEST, PAYLOAD_TOO_LARGE, ...); in
// production the message of an unexpected error is not shown.
import type { Express, NextFunction, Request, Response } from "express";
import { codeForStatus } from "../graphql/errorCodes.ts";
import type { Logger } from "../logger.ts";

export function installErrorHandler(app: Express, isProduction: boolean, log: Logger): void {
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ errors: [{ message: "Not found", extensions: { code: codeForStatus(404) } }] });
  });
  app.use((error: Error & { status?: number; statusCode?: number; expose?: boolean }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.statusCode ?? error.status ?? 500;
    if (status >= 500) log.error({ err: error }, "unhandled error");
    const message = status < 500 || error.expose || !isProduction ? error.message : "Internal server error";
    res.status(status).json({ errors: [{ message, extensions: { code: codeForStatus(status) } }] });
  });
}
