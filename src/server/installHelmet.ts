// Security headers (helmet) with its strict default Content-Security-Policy everywhere except
// Ruru (/graphiql and its static assets), which needs inline scripts and styles and web workers.
// Ruru is only mounted outside production (or with GRAPHIQL=true).
import type { Express } from "express";
import helmet from "helmet";

const RURU_PATHS = ["/graphiql", "/ruru-static/"];

export function installHelmet(app: Express): void {
  const strict = helmet();
  const forRuru = helmet({
    contentSecurityPolicy: {
      directives: {
        "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "worker-src": ["'self'", "blob:"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        // Ruru is a development tool, usually on plain http://localhost: do not upgrade its requests.
        "upgrade-insecure-requests": null,
      },
    },
  });
  app.use((req, res, next) => (RURU_PATHS.some((p) => req.path.startsWith(p)) ? forRuru : strict)(req, res, next));
}
