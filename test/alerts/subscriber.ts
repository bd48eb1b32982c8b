// A graphql-ws client for the subscription tests: subscribes to alertEvents with the given
// connectionParams (the same credentials as HTTP headers) and hands out events in order. Waiting
// is on events, never on time: `next()` resolves when the server sends one, and `listening()`
// waits until the gateway's LISTEN (or UNLISTEN) for a channel has run in PostgreSQL.
import { createClient, type Client } from "graphql-ws";
import type { TestDatabase } from "../helpers/database.ts";
import { EVENT_FIELDS, type AlertEvent } from "./support.ts";

export interface Subscriber {
  client: Client;
  /** The next event (in arrival order). */
  next(): Promise<AlertEvent>;
  /** Resolves with the errors if the server ends the subscription with errors (a closed socket: its reason, and its code as extensions.closeCode). */
  failed: Promise<readonly { message: string; extensions?: Record<string, unknown> }[]>;
  close(): Promise<void>;
}

export const SUBSCRIPTION = `subscription { alertEvents { event { ${EVENT_FIELDS} } } }`;

export function subscribe(gatewayUrl: string, connectionParams: Record<string, string>, query = SUBSCRIPTION): Subscriber {
  const client = createClient({
    url: `${gatewayUrl.replace(/^http/, "ws")}/graphql`,
    connectionParams,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
  });
  const events: AlertEvent[] = [];
  const waiting: ((event: AlertEvent) => void)[] = [];
  let fail!: (errors: readonly { message: string; extensions?: Record<string, unknown> }[]) => void;
  const failed = new Promise<readonly { message: string; extensions?: Record<string, unknown> }[]>((resolve) => (fail = resolve));
  client.subscribe<{ alertEvents: { event: AlertEvent } }>(
    { query },
    {
      next: (result) => {
        if (result.errors) return fail(result.errors as never);
        const event = result.data!.alertEvents.event;
        const waiter = waiting.shift();
        if (waiter) waiter(event);
        else events.push(event);
      },
      error: (error) => fail(Array.isArray(error) ? error : isCloseEvent(error) ? [{ message: error.reason, extensions: { closeCode: error.code } }] : [{ message: String((error as Error).message ?? error) }]),
      complete: () => undefined,
    },
  );
  return {
    client,
    next: () => (events.length > 0 ? Promise.resolve(events.shift()!) : new Promise((resolve) => waiting.push(resolve))),
    failed,
    close: () => client.dispose() as Promise<void>,
  };
}

const isCloseEvent = (error: unknown): error is { code: number; reason: string } => typeof (error as { code?: unknown })?.code === "number";

/** Waits until the gateway's listening connection has run `LISTEN "<channel>"` (or UNLISTEN). */
export async function listening(db: TestDatabase, channel: string, command: "LISTEN" | "UNLISTEN" = "LISTEN"): Promise<void> {
  const statement = `${command} "${channel}"`;
  // Up to 30 s: the first subscription of a gateway opens its listening connection first.
  for (let i = 0; i < 3000; i++) {
    const { rowCount } = await db.ownerPool.query(
      "select 1 from pg_stat_activity where datname = current_database() and query = $1 and state = 'idle'",
      [statement],
    );
    if (rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the gateway never ran ${statement}`);
}
