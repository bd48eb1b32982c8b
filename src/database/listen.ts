// A dedicated LISTEN connection that survives database restarts: it reconnects with backoff and
// tells its owner when it is listening and when it is not, since notifications sent meanwhile are
// lost and whatever they would have invalidated must be treated as unknown.
import pg from "pg";
import type { Logger } from "../logger.ts";

export interface Listener {
  /** True while LISTEN is in place: no notification can be missed. */
  isListening(): boolean;
  close(): Promise<void>;
}

export interface ListenOptions {
  url: string;
  channel: string;
  onNotification(payload: string): void;
  /** Called with false as soon as the connection is lost, with true once LISTEN is back. */
  onListening(listening: boolean): void;
  log: Logger;
}

const retryDelayMs = (attempt: number) => Math.min(100 * 2 ** attempt, 5_000);

export function listen({ url, channel, onNotification, onListening, log }: ListenOptions): Listener {
  let client: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const lost = (attempt: number) => {
    if (listening) log.warn({ channel }, "LISTEN connection lost: reconnecting");
    listening = false;
    onListening(false);
    client?.removeAllListeners();
    client?.on("error", () => {}); // a late socket error of the dead client must not crash the process
    client?.end().catch(() => {});
    client = undefined;
    if (!closed) timer = setTimeout(() => void connect(attempt + 1), retryDelayMs(attempt));
  };

  const connect = async (attempt: number) => {
    const next = new pg.Client({ connectionString: url, application_name: "spendgate-listen" });
    client = next;
    next.on("notification", (message) => {
      if (message.channel === channel) onNotification(message.payload ?? "");
    });
    next.on("error", () => lost(0));
    next.on("end", () => {
      if (client === next && !closed) lost(0);
    });
    try {
      await next.connect();
      await next.query(`listen ${next.escapeIdentifier(channel)}`);
      if (closed || client !== next) return;
      listening = true;
      onListening(true);
    } catch (error) {
      if (client !== next || closed) return;
      log.warn({ channel, err: (error as Error).message }, "cannot LISTEN yet: retrying");
      lost(attempt);
    }
  };

  void connect(0);
  return {
    isListening: () => listening,
    async close() {
      closed = true;
      clearTimeout(timer);
      listening = false;
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
