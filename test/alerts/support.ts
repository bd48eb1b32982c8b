// Shared steps of the alert tests: a user with a balance and a budget, spending through HTTP, and
// reading the outbox the way a client resynchronises (alertEventsAfter with a cursor).
import type { TestGateway } from "../helpers/gateway.ts";
import type { TestDatabase } from "../helpers/database.ts";
import { createBudget, createUser, type Role } from "../helpers/fixtures.ts";
import { submit } from "../spend/support.ts";

export const EVENT_FIELDS = "eventId userId kind payload cursor createdAt";

export interface AlertEvent {
  eventId: string;
  userId: string;
  kind: string;
  payload: Record<string, unknown>;
  cursor: string;
  createdAt: string;
}

export interface Spender {
  userId: string;
  budgetId: string;
  headers: Record<string, string>;
  /** submitRequest through HTTP for this estimated cost. */
  spend(estimatedCost: string): ReturnType<typeof submit>;
}

/** A user with a balance of 1000 and a user-wide budget with the given daily limit. */
export async function spender(db: TestDatabase, gateway: TestGateway, daily = "10"): Promise<Spender> {
  const userId = await createUser(db.ownerPool, { balance: "1000" });
  const budgetId = await createBudget(db.ownerPool, userId, { daily, monthly: "1000" });
  const headers = await gateway.as(userId);
  return { userId, budgetId, headers, spend: (estimatedCost) => submit(gateway, headers, { estimatedCost }) };
}

export async function headersOf(db: TestDatabase, gateway: TestGateway, role: Role): Promise<Record<string, string>> {
  return gateway.as(await createUser(db.ownerPool, { role }), role);
}

/** alertEventsAfter through HTTP: the events after `cursor` the caller may see. */
export async function eventsAfter(gateway: TestGateway, headers: Record<string, string>, cursor: string | null = null): Promise<AlertEvent[]> {
  const response = await gateway.graphql(
    `query($c: BigInt) { alertEventsAfter(afterCursor: $c) { nodes { ${EVENT_FIELDS} } } }`,
    { c: cursor },
    headers,
  );
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data.alertEventsAfter.nodes;
}
