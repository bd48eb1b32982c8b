// CORS for browser clients: only the origins listed in CORS_ORIGINS (comma-separated, exact
// match, or `*`) get Access-Control-Allow-Origin; with none listed, browsers on other origins are
// refused by their own same-origin policy. Preflight requests are answered here.
import type { Express } from "express";

export function installCors(app: Express, origins: string[]): void {
  if (origins.length === 0) return;
  const anyOrigin = origins.includes("*");
  app.use("/graphql", (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && (anyOrigin || origins.includes(origin))) {
      res.setHeader("Access-Control-Allow-Origin", anyOrigin ? "*" : origin);
      res.setHeader("Vary", "Origin");
      res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type, X-API-Key, X-Include-Deleted");
      res.setHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
      res.setHeader("Access-Control-Max-Age", "600");
    }
    if (req.method === "OPTIONS") {
      res.status(204).end();
      return;
    }
    next();
  });
}
