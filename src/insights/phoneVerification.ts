// Phone verification codes (seed 003 "SMS Verification Codes"): a 6-digit code, stored only as a
// salted SHA-256, valid 10 minutes, at most 5 tries, a limited number of codes per phone per hour.
// With Redis (when it is up) the seed's keys hold them:
//   verify:{phone}            {"userId", "salt", "hash"}            10 min
//   verify:attempts:{phone}   tries so far                          10 min
//   verify:user:{user_id}     the phone the user's latest code went to (verifyPhone takes only a code)
//   ratelimit:sms:{phone}     codes sent this hour                   1 h
// Without Redis, or while it is unreachable, PostgreSQL holds them with the same rules
// (app_private.phone_verifications, sql/6450-phone-verification.sql). Either way the number is
// marked verified in SQL, inside the request's transaction.
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type { PgClient } from "postgraphile/@dataplan/pg";
import type { SharedRedis } from "../redis.ts";
import type { SmsSender } from "./sms.ts";

export const CODE_TTL_S = 600;
export const MAX_ATTEMPTS = 5;
const RATE_WINDOW_S = 3600;
/** E.164: a plus sign and 8 to 15 digits. */
const PHONE = /^\+[1-9]\d{7,14}$/;

export type VerifyOutcome = "verified" | "wrong_code" | "too_many_attempts" | "no_code";

export class PhoneVerificationError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface PhoneVerification {
  /** Stores a new code for the user and sends it; resolves with its expiry. */
  request(client: PgClient, userId: string, phoneNumber: string): Promise<Date>;
  check(client: PgClient, userId: string, code: string): Promise<VerifyOutcome>;
}

const hashCode = (salt: string, code: string) => createHash("sha256").update(`${salt}:${code}`).digest("hex");

export function createPhoneVerification(options: { redis: SharedRedis | undefined; sender: SmsSender; perPhonePerHour: number }): PhoneVerification {
  const { redis, sender, perPhonePerHour } = options;
  const useRedis = () => redis?.isReady() ?? false;

  async function saveInRedis(r: SharedRedis, userId: string, phone: string, code: string): Promise<void> {
    const rateKey = r.key("ratelimit", "sms", phone);
    const [, [, sent]] = (await r.client.multi().set(rateKey, 0, "EX", RATE_WINDOW_S, "NX").incr(rateKey).exec()) as [unknown, [unknown, number]];
    if (sent > perPhonePerHour) throw new PhoneVerificationError("SGSMS", "too many verification codes for this phone number; try again later");
    const salt = randomBytes(16).toString("hex");
    await r.client
      .multi()
      .set(r.key("verify", phone), JSON.stringify({ userId, salt, hash: hashCode(salt, code) }), "EX", CODE_TTL_S)
      .set(r.key("verify", "attempts", phone), 0, "EX", CODE_TTL_S)
      .set(r.key("verify", "user", userId), phone, "EX", CODE_TTL_S)
      .exec();
  }

  /** The Redis side of a check: the outcome, and the phone number when the code is right. */
  async function checkInRedis(r: SharedRedis, userId: string, code: string): Promise<{ outcome: VerifyOutcome; phone?: string }> {
    const phone = await r.client.get(r.key("verify", "user", userId));
    const stored = phone ? await r.client.get(r.key("verify", phone)) : null;
    if (!phone || !stored) return { outcome: "no_code" };
    const entry = JSON.parse(stored) as { userId: string; salt: string; hash: string };
    if (entry.userId !== userId) return { outcome: "no_code" };
    // Counted before comparing, atomically: concurrent guesses cannot exceed the limit.
    const attempts = await r.client.incr(r.key("verify", "attempts", phone));
    if (attempts > MAX_ATTEMPTS) return { outcome: "too_many_attempts" };
    if (!timingSafeEqual(Buffer.from(hashCode(entry.salt, code)), Buffer.from(entry.hash))) {
      return { outcome: attempts >= MAX_ATTEMPTS ? "too_many_attempts" : "wrong_code" };
    }
    await r.client.del(r.key("verify", phone), r.key("verify", "attempts", phone), r.key("verify", "user", userId));
    return { outcome: "verified", phone };
  }

  async function checkInPostgres(client: PgClient, code: string): Promise<VerifyOutcome> {
    const { rows } = await client.query<{ outcome: VerifyOutcome }>({
      text: "select app_private.check_phone_code($1, $2) as outcome",
      values: [code, MAX_ATTEMPTS],
    });
    return rows[0]!.outcome;
  }

  return {
    async request(client, userId, phoneNumber) {
      if (!PHONE.test(phoneNumber)) throw new PhoneVerificationError("SGPHN", "expected a phone number in international format, e.g. +15551234567");
      const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
      let saved = false;
      if (useRedis()) {
        try {
          await saveInRedis(redis!, userId, phoneNumber, code);
          saved = true;
        } catch (error) {
          if (error instanceof PhoneVerificationError) throw error;
          // Redis went away: PostgreSQL takes over below.
        }
      }
      if (!saved) {
        await client.query({
          text: "select app_private.store_phone_code($1, $2, make_interval(secs => $3), $4)",
          values: [phoneNumber, code, CODE_TTL_S, perPhonePerHour],
        });
      }
      try {
        await sender.send(phoneNumber, `Your Spendgate verification code is ${code}. It expires in 10 minutes.`);
      } catch {
        throw new PhoneVerificationError("SGSMF", "the verification code could not be sent; try again later");
      }
      return new Date(Date.now() + CODE_TTL_S * 1000);
    },

    async check(client, userId, code) {
      // A code requested while Redis was away is in PostgreSQL; a Redis failing now means the same.
      const fromRedis = useRedis() ? await checkInRedis(redis!, userId, code).catch(() => undefined) : undefined;
      if (!fromRedis || fromRedis.outcome === "no_code") return checkInPostgres(client, code);
      if (fromRedis.phone) await client.query({ text: "select app_private.mark_phone_verified($1)", values: [fromRedis.phone] });
      return fromRedis.outcome;
    },
  };
}
