// Sends a phone verification code (SMS_PROVIDER): `log` writes it to the log, for development
// (in production only the fact that a code was sent, never the code); `webhook` POSTs
// `{"to": "+15551234567", "message": "..."}` as JSON to SMS_WEBHOOK_URL, for a real SMS provider
// or a relay in front of one, through the outbound-request guard (src/net/outbound.ts) like every
// request to a configured address. Any answer other than 2xx is a failure.
import type { OutboundConfig, SmsConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { sendOutbound } from "../net/outbound.ts";

export interface SmsSender {
  send(to: string, message: string): Promise<void>;
}

export function createSmsSender(config: SmsConfig, outbound: OutboundConfig, log: Logger, isProduction: boolean): SmsSender {
  const smsLog = log.child({ component: "sms" });
  if (config.provider === "log") {
    return {
      async send(to, message) {
        smsLog.info({ to, ...(!isProduction && { message }) }, "sms (SMS_PROVIDER=log)");
      },
    };
  }
  const url = config.webhookUrl!;
  const headers: Record<string, string> = { "content-type": "application/json", ...(config.webhookToken && { authorization: `Bearer ${config.webhookToken}` }) };
  return {
    async send(to, message) {
      const response = await sendOutbound(url, { method: "POST", headers, body: JSON.stringify({ to, message }) }, outbound);
      if (response.status < 200 || response.status >= 300) throw new Error(`SMS webhook answered HTTP ${response.status}`);
    },
  };
}
