// Shared by the spend tests: the GraphQL documents an agent sends, readers of the rows they
// change, and SQL run as a user for paths HTTP cannot reach. Rows to start from come from
// test/helpers/fixtures.ts. Not a test file (ava runs *.test.ts only).
import type { TestDatabase } from "../helpers/database.ts";
import type { TestGateway } from "../helpers/gateway.ts";

export async function budgetRow(db: TestDatabase, id: string) {
  const { rows } = await db.ownerPool.query(
    `select current_daily_spending::text as daily, current_monthly_spending::text as monthly,
            reserved_spending::text as reserved, period_start, period_end, daily_period_start
       from app_public.budgets where id = $1`,
    [id],
  );
  return rows[0] as { daily: string; monthly: string; reserved: string; period_start: Date; period_end: Date; daily_period_start: Date };
}

export async function userRow(db: TestDatabase, id: string) {
  const { rows } = await db.ownerPool.query(
    `select available_balance::text as balance, reserved_balance::text as reserved, total_spending::text as total_spending,
            total_requests::int as total_requests, last_request_at
       from app_public.users where user_id = $1`,
    [id],
  );
  return rows[0] as { balance: string; reserved: string; total_spending: string; total_requests: number; last_request_at: Date | null };
}

export const REQUEST_FIELDS = "requestId status reason estimatedCost reservedCost actualCost projectId agentId decidedBy";

export const SUBMIT = `mutation Submit($input: SubmitRequestInput!) {
  submitRequest(input: $input) { request { ${REQUEST_FIELDS} } }
}`;

export interface SubmitInput {
  projectId?: string | null;
  agentId?: string;
  apiProvider?: string;
  modelName?: string;
  endpoint?: string;
  parameters?: Record<string, unknown>;
  estimatedCost: string;
}

export interface RequestResult {
  requestId: string;
  status: string;
  reason: string | null;
  estimatedCost: string;
  reservedCost: string;
  actualCost: string | null;
  projectId: string | null;
  agentId: string | null;
  decidedBy: string | null;
}

/** submitRequest through HTTP; returns the request, or throws with the GraphQL errors. */
export async function submit(gw: TestGateway, headers: Record<string, string>, input: SubmitInput): Promise<RequestResult> {
  const response = await gw.graphql(SUBMIT, {
    input: { agentId: "agent-1", apiProvider: "openai", modelName: "gpt-4o", endpoint: "chat.completions", parameters: {}, ...input },
  }, headers);
  if (response.body.errors?.length || !response.body.data?.submitRequest?.request) {
    throw new Error(`submitRequest failed: ${response.status} ${JSON.stringify(response.body.errors)}`);
  }
  return response.body.data.submitRequest.request;
}

/** Runs a lifecycle mutation (completeRequest, approveRequest, ...) and returns the whole response. */
export function lifecycle(gw: TestGateway, headers: Record<string, string>, mutation: string, input: Record<string, unknown>) {
  const inputType = `${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input`;
  return gw.graphql<Record<string, { request: RequestResult }>>(
    `mutation Op($input: ${inputType}!) { ${mutation}(input: $input) { request { ${REQUEST_FIELDS} } } }`,
    { input },
    headers,
  );
}

/** The SQLSTATE-like code of the first GraphQL error, if any. */
export function errorCode(response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }): unknown {
  return response.body.errors?.[0]?.extensions?.code;
}

/**
 * Runs `fn` in a transaction that looks like a gateway request of the user (SET ROLE plus
 * jwt.claims.user_id), rolled back afterwards unless `commit` is set. For paths HTTP cannot
 * reach (e.g. an account suspended after its token was checked).
 */
export async function asUserInSql<T>(
  db: TestDatabase,
  userId: string,
  role: "spendgate_user" | "spendgate_operator" | "spendgate_admin",
  fn: (client: import("pg").PoolClient) => Promise<T>,
  commit = false,
): Promise<T> {
  const client = await db.ownerPool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('jwt.claims.user_id', $1, true)", [userId]);
    await client.query(`set local role ${role}`);
    const result = await fn(client);
    await client.query(commit ? "commit" : "rollback");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Moves rows' created_at into the past: the timestamps trigger keeps created_at otherwise. */
export async function backdateRequests(db: TestDatabase, userId: string, by: string): Promise<void> {
  const client = await db.ownerPool.connect();
  try {
    await client.query("begin");
    await client.query("set local session_replication_role = replica");
    await client.query("update app_public.requests set created_at = created_at - $2::interval where user_id = $1", [userId, by]);
    await client.query("commit");
  } finally {
    client.release();
  }
}
