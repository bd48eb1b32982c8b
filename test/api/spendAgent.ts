// Shared by the spend-integrity tests (holds, idempotency, decisions, budgets per key): a user
// set up the way the README's agent flow does it, through HTTP only (a project, a budget, a
// policy, an API key for the agent, a top-up completed by an operator), and the few documents
// an agent sends. The worker's expire_holds task is run the way the crontab runs it, with the
// cron timestamp as the clock: tests move time by choosing that timestamp, never by waiting.
import { Logger, quickAddJob, runOnce } from "graphile-worker";
import expireHolds from "../../src/tasks/expire_holds.ts";
import type { TestDatabase } from "../helpers/database.ts";
import { createApiKey, register, type Account, type ApiClient } from "./client.ts";

export interface Agent {
  owner: Account;
  projectId: string;
  budgetId: string;
  policyId: string;
  /** The agent: sends X-API-Key. */
  key: ApiClient;
  apiKeyId: string;
}

export const REQUEST_FIELDS = "requestId status reason estimatedCost reservedCost actualCost outstandingCost settledCost holdExpiresAt createdAt overLimit uncoveredCost";

export async function topUp(owner: Account, operator: Account, amount: string): Promise<void> {
  const { recordPayment } = await owner.client.data("mutation($a: BigFloat!) { recordPayment(input: {amount: $a}) { payment { paymentId } } }", { a: amount });
  await operator.client.data("mutation($id: UUID!) { completePayment(input: {paymentId: $id}) { payment { status } } }", { id: recordPayment.payment.paymentId });
}

/** A user with a project, a budget and a policy for it, an agent's API key and (optionally) a completed top-up. */
export async function agent(
  baseUrl: string,
  operator: Account,
  options: { budget?: Record<string, unknown>; policy?: Record<string, unknown>; topUp?: string } = {},
): Promise<Agent> {
  const owner = await register(baseUrl);
  const { createProject } = await owner.client.data('mutation { createProject(input: {project: {name: "research"}}) { project { projectId } } }');
  const projectId = createProject.project.projectId;
  const { createBudget } = await owner.client.data("mutation($b: BudgetInput!) { createBudget(input: {budget: $b}) { budget { budgetId } } }", {
    b: { projectId, dailyLimit: "10", monthlyLimit: "100", ...options.budget },
  });
  const { createPolicy } = await owner.client.data("mutation($p: PolicyInput!) { createPolicy(input: {policy: $p}) { policy { policyId } } }", {
    p: { projectId, ...options.policy },
  });
  const key = await createApiKey(owner, "agent");
  if (options.topUp) await topUp(owner, operator, options.topUp);
  return { owner, projectId, budgetId: createBudget.budget.budgetId, policyId: createPolicy.policy.policyId, key: key.client, apiKeyId: key.apiKeyId };
}

export const call = (overrides: Record<string, unknown> = {}) => ({
  agentId: "research-bot", apiProvider: "openai", modelName: "gpt-4o", endpoint: "chat.completions", parameters: { max_tokens: 800 }, estimatedCost: "1", ...overrides,
});

export const SUBMIT = `mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { request { ${REQUEST_FIELDS} } } }`;

export async function submit(a: Agent, overrides: Record<string, unknown> = {}, client: ApiClient = a.key) {
  const { submitRequest } = await client.data(SUBMIT, { input: { projectId: a.projectId, ...call(overrides) } });
  return submitRequest.request;
}

/** A lifecycle mutation (completeRequest, cancelRequest, ...) on one request; returns the request. */
export async function settle(client: ApiClient, mutation: string, requestId: string, extra = "") {
  const data = await client.data(`mutation($id: UUID!) { ${mutation}(input: {requestId: $id${extra}}) { request { ${REQUEST_FIELDS} } } }`, { id: requestId });
  return data[mutation].request;
}

export async function me(client: ApiClient) {
  return (await client.data("{ currentUser { availableBalance reservedBalance totalSpending totalRequests } }")).currentUser;
}

export async function budgetStatus(client: ApiClient, budgetId: string, fields = "dailySpent monthlySpent reserved") {
  return (await client.data(`query($id: UUID!) { budget(budgetId: $id) { budgetStatus { ${fields} } } }`, { id: budgetId })).budget.budgetStatus;
}

const silent = new Logger(() => () => undefined);

/**
 * One run of the expire_holds job, as the crontab schedules it, for the time `at` (a timestamp as
 * the API returns it is passed on unchanged: it has microseconds, a Date would cut them).
 */
export async function runExpireHolds(db: TestDatabase, at: Date | string): Promise<void> {
  const options = { connectionString: db.ownerUrl, taskList: { expire_holds: expireHolds }, logger: silent };
  await quickAddJob(options, "expire_holds", { _cron: { ts: typeof at === "string" ? at : at.toISOString(), backfilled: false } });
  await runOnce(options);
}

/** app_private.spend_consistency(): every ledger counter that disagrees with the rows behind it. */
export async function inconsistencies(db: TestDatabase): Promise<unknown[]> {
  return (await db.ownerPool.query("select * from app_private.spend_consistency()")).rows;
}
