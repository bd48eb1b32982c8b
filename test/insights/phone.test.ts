// Phone verification through HTTP, with Redis (the machine's) and without it (PostgreSQL holds the
// codes), the codes delivered by the webhook sender to a local HTTP receiver as an SMS provider
// would get them: a 6-digit code stored only hashed, at most 5 tries, a limit per phone and hour,
// and the number marked verified on the account.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import test from "ava";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { anonymous, register } from "../api/client.ts";
import { REDIS_TEST_URL, redisReady, redisTest } from "./support.ts";

interface Sms {
  to: string;
  message: string;
  authorization: string | undefined;
}

// Tests run concurrently: messages are matched to their test by phone number.
const received = new Map<string, Sms[]>();
const waiting = new Map<string, ((sms: Sms) => void)[]>();
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    const sms = { ...(JSON.parse(body) as { to: string; message: string }), authorization: req.headers.authorization };
    res.writeHead(req.url === "/broken" ? 502 : 204).end();
    const next = waiting.get(sms.to)?.shift();
    if (next) next(sms);
    else received.set(sms.to, [...(received.get(sms.to) ?? []), sms]);
  });
});
/** The next SMS to `to` the receiver gets (or already got). */
const nextSms = (to: string) =>
  new Promise<Sms>((resolve) => {
    const queued = received.get(to)?.shift();
    if (queued) resolve(queued);
    else waiting.set(to, [...(waiting.get(to) ?? []), resolve]);
  });

let db: TestDatabase;
let withRedis: TestGateway;
let withoutRedis: TestGateway;
let broken: TestGateway;
const prefix = `spendgate-test-${randomUUID()}`;

test.before(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const env = { SMS_PROVIDER: "webhook", SMS_WEBHOOK_URL: `${webhook}/sms`, SMS_WEBHOOK_TOKEN: "provider-token", OUTBOUND_ALLOW_PRIVATE: "true", SMS_PER_PHONE_PER_HOUR: "3" };
  db = await createTestDatabase();
  withRedis = await startTestGateway(db, { ...env, REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix });
  withoutRedis = await startTestGateway(db, env);
  broken = await startTestGateway(db, { ...env, SMS_WEBHOOK_URL: `${webhook}/broken` });
});
test.after.always(async () => {
  await Promise.all([withRedis?.close(), withoutRedis?.close(), broken?.close()]);
  await db?.drop();
  receiver.close();
});

const REQUEST = "mutation($p: String!) { requestPhoneVerification(input: {phoneNumber: $p}) { expiresAt } }";
const VERIFY = "mutation($c: String!) { verifyPhone(input: {code: $c}) { phoneNumber phoneVerifiedAt } }";
const codes = (response: { body: { errors?: { extensions?: { code?: string } }[] } }) => response.body.errors?.map((e) => e.extensions?.code);
const phone = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
const codeOf = (sms: Sms) => /\b(\d{6})\b/.exec(sms.message)![1]!;
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

for (const mode of ["Redis", "PostgreSQL"] as const) {
  const gateway = () => (mode === "Redis" ? withRedis : withoutRedis);
  const modeTest = mode === "Redis" ? redisTest : test;

  modeTest(`${mode}: the code arrives by webhook, is stored only hashed, and verifies the number on the account`, async (t) => {
    if (mode === "Redis") await redisReady(withRedis.redis);
    const user = await register(gateway().url);
    const number = phone();
    const requested = await user.client.data(REQUEST, { p: number });
    t.true(Date.parse(requested.requestPhoneVerification.expiresAt) - Date.now() > 9 * 60_000);
    const sms = await nextSms(number);
    t.is(sms.to, number);
    t.is(sms.authorization, "Bearer provider-token");
    const code = codeOf(sms);
    if (mode === "Redis") {
      const stored = await withRedis.redis!.client.get(`${prefix}:verify:${number}`);
      t.truthy(stored);
      t.false(stored!.includes(code), "only a hash of the code is kept");
      const ttl = await withRedis.redis!.client.ttl(`${prefix}:verify:${number}`);
      t.true(ttl > 590 && ttl <= 600, `verify:{phone} lives 10 minutes (${ttl} s)`);
    } else {
      const { rows } = await db.ownerPool.query("select code_hash, expires_at - created_at as ttl from app_private.phone_verifications where phone_number = $1", [number]);
      t.is(rows.length, 1);
      t.not(rows[0].code_hash, code);
      t.like(rows[0].ttl, { minutes: 10 });
    }
    t.deepEqual(codes(await user.client.post(VERIFY, { c: wrong(code) })), ["SGVCD"]);
    const verified = (await user.client.data(VERIFY, { c: code })).verifyPhone;
    t.is(verified.phoneNumber, number);
    t.truthy(verified.phoneVerifiedAt);
    const me = await user.client.data("query($id: UUID!) { user(userId: $id) { phoneNumber phoneVerifiedAt } }", { id: user.userId });
    // The same instant (the two answers may print trailing zeros of the microseconds differently).
    t.is(me.user.phoneNumber, verified.phoneNumber);
    t.is(Date.parse(me.user.phoneVerifiedAt), Date.parse(verified.phoneVerifiedAt));
    t.deepEqual(codes(await user.client.post(VERIFY, { c: code })), ["SGVCD"], "a code works once");

    // Changing the number by hand makes it unverified again.
    const changed = await user.client.data("mutation($id: UUID!, $p: String!) { updateUser(input: {userId: $id, patch: {phoneNumber: $p}}) { user { phoneVerifiedAt } } }", { id: user.userId, p: phone() });
    t.is(changed.updateUser.user.phoneVerifiedAt, null);
  });

  modeTest(`${mode}: at most 5 tries per code, counted even though each wrong try fails`, async (t) => {
    if (mode === "Redis") await redisReady(withRedis.redis);
    const user = await register(gateway().url);
    const number = phone();
    await user.client.data(REQUEST, { p: number });
    const code = codeOf(await nextSms(number));
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(codes(await user.client.post(VERIFY, { c: wrong(code) }))![0]);
    t.deepEqual(outcomes, ["SGVCD", "SGVCD", "SGVCD", "SGVCD", "SGVAT"]);
    t.deepEqual(codes(await user.client.post(VERIFY, { c: code })), ["SGVAT"], "not even the right code after that");
  });

  modeTest(`${mode}: codes per phone number and hour are limited`, async (t) => {
    if (mode === "Redis") await redisReady(withRedis.redis);
    const [a, b] = [await register(gateway().url), await register(gateway().url)];
    const number = phone();
    for (let i = 0; i < 3; i++) {
      await (i % 2 ? b : a).client.data(REQUEST, { p: number });
      await nextSms(number);
    }
    t.deepEqual(codes(await a.client.post(REQUEST, { p: number })), ["SGSMS"]);
    t.deepEqual(codes(await b.client.post(REQUEST, { p: number })), ["SGSMS"], "per phone, whoever asks");
    if (mode === "Redis") t.is(await withRedis.redis!.client.get(`${prefix}:ratelimit:sms:${number}`), "5");
  });
}

test("anonymous callers and malformed numbers are refused; a failing provider is an error, not a silent success", async (t) => {
  t.deepEqual(codes(await anonymous(withoutRedis.url).post(REQUEST, { p: phone() })), ["SGANO"]);
  t.deepEqual(codes(await anonymous(withoutRedis.url).post(VERIFY, { c: "123456" })), ["SGANO"]);
  const user = await register(withoutRedis.url);
  for (const bad of ["5551234567", "+0123456789", "+1 555 123 4567", "+1555"]) t.deepEqual(codes(await user.client.post(REQUEST, { p: bad })), ["SGPHN"], bad);
  const viaBroken = await register(broken.url);
  const number = phone();
  t.deepEqual(codes(await viaBroken.client.post(REQUEST, { p: number })), ["SGSMF"]);
  await nextSms(number);
  t.deepEqual(codes(await viaBroken.client.post(VERIFY, { c: "000000" })), ["SGVCD"], "nothing was stored for an unsent code");
});
