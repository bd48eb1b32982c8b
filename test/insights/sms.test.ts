// SMS_PROVIDER=log: the development sender writes the message (with its code) to the log, and in
// production only that a message was sent, never the code. (The webhook sender is tested end to
// end in phone.test.ts against a local receiver.)
import { Writable } from "node:stream";
import test from "ava";
import { pino } from "pino";
import { loadConfig } from "../../src/config.ts";
import { createSmsSender } from "../../src/insights/sms.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

for (const isProduction of [false, true]) {
  test(`the log sender ${isProduction ? "never logs the code in production" : "logs the message outside production"}`, async (t) => {
    const { log, lines } = capture();
    const config = loadConfig({});
    await createSmsSender(config.sms, config.outbound, log, isProduction).send("+15550009999", "Your Spendgate verification code is 424242.");
    t.is(lines.length, 1);
    t.like(lines[0], { to: "+15550009999", component: "sms" });
    t.is(JSON.stringify(lines[0]).includes("424242"), !isProduction);
  });
}
