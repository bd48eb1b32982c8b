// Authenticates every GraphQL request before PostGraphile sees it: the identity is stored on the
// request for the GraphQL context (src/graphql/context.ts); bad credentials end here with a 401
// and a JSON error, before any database connection is taken for the operation.
import type { Express } from "express";
import type { Authenticate } from "../auth/authenticate.ts";
import { AuthError } from "../auth/errors.ts";
import type { RequestWithIdentity } from "../auth/identity.ts";
import type { Logger } from "../logger.ts";

export function installAuth(app: Express, authenticate: Authenticate, log: Logger): void {
  app.use("/graphql", async (req, res, next) => {
    try {
      const identity = await authenticate(req.headers);
      (req as RequestWithIdentity).identity = identity;
      if (identity.includeDeleted) log.info({ audit: "include_deleted", userId: identity.userId, ip: req.ip }, "admin request includes soft-deleted rows");
      next();
    } catch (error) {
      if (!(error instanceof AuthError)) return next(error);
      res
        .status(401)
        .set("WWW-Authenticate", `Bearer error="invalid_token", error_description="${error.message.replace(/"/g, "'")}"`)
        .json({ errors: [{ message: error.message, extensions: { code: error.code } }] });
    }
  });
}
