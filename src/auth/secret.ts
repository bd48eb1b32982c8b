// The HS256 signing secret: JWT_SECRET, or outside production a random secret generated once and
// kept in DATA_DIR/jwt-secret (mode 600), so that tokens survive restarts of a development gateway.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { BaseConfig, JwtConfig } from "../config.ts";
import type { Logger } from "../logger.ts";

export function loadJwtSecret(config: JwtConfig, { isProduction, dataDir }: BaseConfig, log: Logger): Uint8Array {
  if (config.secret) return new TextEncoder().encode(config.secret);
  if (isProduction) {
    // Only reachable with JWKS_URL set (config refuses otherwise): our own logins then get
    // tokens that only this process accepts.
    log.warn("JWT_SECRET is not set: tokens issued by login are signed with a per-process secret");
    return randomBytes(48);
  }
  const file = path.join(dataDir, "jwt-secret");
  try {
    return new TextEncoder().encode(fs.readFileSync(file, "utf8").trim());
  } catch {
    const secret = randomBytes(48).toString("base64url");
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, secret, { mode: 0o600 });
    log.info({ file }, "generated a development JWT secret");
    return new TextEncoder().encode(secret);
  }
}
