// The webhook signature (README: "Alerts: subscriptions and webhooks"): HMAC-SHA256 with the
// webhook's secret over `<timestamp>.<body>`, sent as `X-Spendgate-Signature: v1=<hex>` with
// `X-Spendgate-Timestamp: <unix seconds>`. Signing the timestamp lets a receiver refuse replays
// of an old delivery; the event id (X-Spendgate-Event-Id) lets it drop duplicates.
import { createHmac, timingSafeEqual } from "node:crypto";

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** What a receiver does: recompute and compare in constant time. */
export function verifyWebhook(secret: string, timestamp: number, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
