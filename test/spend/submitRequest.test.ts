// submitRequest through HTTP: every machine-readable rejection reason, the errors that record
// nothing, pending requests above the approval threshold, and what a rejection reserves (nothing).
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { createBudget, createPolicy, createProject, createUser } from "../helpers/fixtures.ts";
import { SUBMIT, asUserInSql, backdateRequests, budgetRow, errorCode, lifecycle, submit, userRow } from "./support.ts";

const ctx = useTestGateway();

/** A funded user (balance 1000 unless given) with a project, and its Authorization header. */
async function agent(options: Parameters<typeof createUser>[1] = {}) {
  const userId = await createUser(ctx.db.ownerPool, { balance: "1000", ...options });
  const projectId = await createProject(ctx.db.ownerPool, userId);
  return { userId, projectId, headers: await ctx.gateway.as(userId) };
}

test("a request within policy, budget and balance is approved and reserves its estimated cost", async (t) => {
  const { userId, projectId, headers } = await agent({ balance: "10" });
  const budgetId = await createBudget(ctx.db.ownerPool, userId, { projectId, daily: "5", monthly: "50", perRequest: "2" });
  const request = await submit(ctx.gateway, headers, { projectId, estimatedCost: "1.25", parameters: { max_tokens: 100 } });
  t.like(request, { status: "approved", reason: null, estimatedCost: "1.25000000", reservedCost: "1.25000000", projectId });
  t.like(await budgetRow(ctx.db, budgetId), { daily: "1.25000000", monthly: "1.25000000", reserved: "1.25000000" });
  t.like(await userRow(ctx.db, userId), { balance: "10.00000000", reserved: "1.25000000" });
});

test("account_inactive: a request of an account suspended after its credentials were checked is recorded as rejected", async (t) => {
  const { userId, projectId, headers } = await agent();
  await createBudget(ctx.db.ownerPool, userId, { daily: "10" });
  await ctx.db.ownerPool.query("update app_public.users set account_status = 'suspended' where user_id = $1", [userId]);
  // Through HTTP the gateway already refuses a suspended account's credentials ...
  const response = await ctx.gateway.graphql(SUBMIT, { input: { projectId, estimatedCost: "0.1" } }, headers);
  t.is(response.status, 401);
  // ... so the SQL check is the last line: it records the attempt, reserving nothing.
  const row = await asUserInSql(ctx.db, userId, "spendgate_user", async (client) =>
    (await client.query("select status, reason, reserved_cost::text from app_public.submit_request($1, 'a', 'openai', 'm', 'e', '{}', 0.1)", [projectId])).rows[0],
  true);
  t.deepEqual(row, { status: "rejected", reason: "account_inactive", reserved_cost: "0.00000000" });
  t.like(await userRow(ctx.db, userId), { reserved: "0.00000000" });
});

test("provider_not_allowed and model_not_allowed follow the project's policy; an empty list allows all", async (t) => {
  const { userId, projectId, headers } = await agent();
  await createPolicy(ctx.db.ownerPool, userId, { projectId, allowedProviders: ["anthropic"], allowedModels: ["claude-sonnet"] });
  t.like(await submit(ctx.gateway, headers, { projectId, apiProvider: "openai", modelName: "claude-sonnet", estimatedCost: "0.1" }), { status: "rejected", reason: "provider_not_allowed" });
  t.like(await submit(ctx.gateway, headers, { projectId, apiProvider: "anthropic", modelName: "claude-opus", estimatedCost: "0.1" }), { status: "rejected", reason: "model_not_allowed" });
  t.like(await submit(ctx.gateway, headers, { projectId, apiProvider: "anthropic", modelName: "claude-sonnet", estimatedCost: "0.1" }), { status: "approved" });

  const other = await agent();
  await createPolicy(ctx.db.ownerPool, other.userId, { projectId: other.projectId, allowedProviders: [], allowedModels: [] });
  t.like(await submit(ctx.gateway, other.headers, { projectId: other.projectId, apiProvider: "anything", modelName: "any-model", estimatedCost: "0.1" }), { status: "approved" });
});

test("the project's policy takes precedence over the user-wide policy, which applies to other projects", async (t) => {
  const { userId, projectId, headers } = await agent();
  const otherProject = await createProject(ctx.db.ownerPool, userId);
  await createPolicy(ctx.db.ownerPool, userId, { allowedProviders: ["openai"] });
  await createPolicy(ctx.db.ownerPool, userId, { projectId, allowedProviders: ["anthropic"] });
  t.like(await submit(ctx.gateway, headers, { projectId, apiProvider: "anthropic", estimatedCost: "0.1" }), { status: "approved" });
  t.like(await submit(ctx.gateway, headers, { projectId: otherProject, apiProvider: "anthropic", estimatedCost: "0.1" }), { reason: "provider_not_allowed" });
  t.like(await submit(ctx.gateway, headers, { projectId: otherProject, apiProvider: "openai", estimatedCost: "0.1" }), { status: "approved" });
});

test("operation_forbidden: an endpoint listed in forbidden_operations, exactly or by a trailing *", async (t) => {
  const { userId, projectId, headers } = await agent();
  await createPolicy(ctx.db.ownerPool, userId, { projectId, forbiddenOperations: ["images.generate", "fine_tuning.*"] });
  t.like(await submit(ctx.gateway, headers, { projectId, endpoint: "images.generate", estimatedCost: "0.1" }), { status: "rejected", reason: "operation_forbidden" });
  t.like(await submit(ctx.gateway, headers, { projectId, endpoint: "fine_tuning.jobs.create", estimatedCost: "0.1" }), { reason: "operation_forbidden" });
  t.like(await submit(ctx.gateway, headers, { projectId, endpoint: "images.generate.v2", estimatedCost: "0.1" }), { status: "approved" });
});

test("rate_limited: requests_per_minute counts the scope's accepted requests; rejected ones do not count", async (t) => {
  const { userId, projectId, headers } = await agent();
  await createPolicy(ctx.db.ownerPool, userId, { projectId, rateLimits: { requests_per_minute: 3 }, allowedModels: ["gpt-4o"] });
  t.like(await submit(ctx.gateway, headers, { projectId, modelName: "other", estimatedCost: "0.1" }), { reason: "model_not_allowed" });
  for (let i = 0; i < 3; i++) t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "0.1" }), { status: "approved" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "0.1" }), { status: "rejected", reason: "rate_limited", reservedCost: "0.00000000" });
  // Requests older than the window no longer count (the clock is moved, not waited for).
  await backdateRequests(ctx.db, userId, "61 seconds");
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "0.1" }), { status: "approved" });
});

test("rate_limited: agent_requests_per_hour limits each agent separately", async (t) => {
  const { userId, projectId, headers } = await agent();
  await createPolicy(ctx.db.ownerPool, userId, { projectId, rateLimits: { agent_requests_per_hour: 2, requests_per_hour: 100 } });
  for (let i = 0; i < 2; i++) t.like(await submit(ctx.gateway, headers, { projectId, agentId: "a", estimatedCost: "0.1" }), { status: "approved" });
  t.like(await submit(ctx.gateway, headers, { projectId, agentId: "a", estimatedCost: "0.1" }), { reason: "rate_limited" });
  t.like(await submit(ctx.gateway, headers, { projectId, agentId: "b", estimatedCost: "0.1" }), { status: "approved" });
});

test("per_request_limit_exceeded, budget_daily_exceeded, budget_monthly_exceeded, in that order", async (t) => {
  const { userId, projectId, headers } = await agent({ balance: "100" });
  await createBudget(ctx.db.ownerPool, userId, { projectId, perRequest: "3", daily: "5", monthly: "8" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "3.00000001" }), { status: "rejected", reason: "per_request_limit_exceeded" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "3" }), { status: "approved" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "2.5" }), { reason: "budget_daily_exceeded" });
  const exact = await submit(ctx.gateway, headers, { projectId, estimatedCost: "2" }); // exactly the daily limit
  t.like(exact, { status: "approved" });
  // Settle both, then start a new day (moved into the past): 8 - 5 = 3 left for the month.
  const { rows } = await ctx.db.ownerPool.query("select request_id from app_public.requests where user_id = $1 and status = 'approved'", [userId]);
  for (const { request_id } of rows) {
    const done = await lifecycle(ctx.gateway, headers, "completeRequest", { requestId: request_id, actualCost: request_id === exact.requestId ? "2" : "3" });
    t.is(done.body.data?.completeRequest.request.status, "executed");
  }
  await ctx.db.ownerPool.query("update app_public.budgets set daily_period_start = daily_period_start - interval '1 day' where user_id = $1", [userId]);
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "3.1" }), { reason: "per_request_limit_exceeded" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "2.9" }), { status: "approved" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "0.2" }), { reason: "budget_monthly_exceeded" });
});

test("the user-wide budget applies to every project and to requests without a project", async (t) => {
  const { userId, projectId, headers } = await agent();
  await createBudget(ctx.db.ownerPool, userId, { daily: "1" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "0.6" }), { status: "approved" });
  t.like(await submit(ctx.gateway, headers, { projectId: null, estimatedCost: "0.6" }), { reason: "budget_daily_exceeded" });
  t.like(await submit(ctx.gateway, headers, { projectId: null, estimatedCost: "0.4" }), { status: "approved" });
});

test("insufficient_balance: the estimated cost must fit the balance minus what is already reserved", async (t) => {
  const { projectId, headers, userId } = await agent({ balance: "1" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "0.7" }), { status: "approved" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "0.31" }), { status: "rejected", reason: "insufficient_balance" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "0.3" }), { status: "approved" });
  t.like(await userRow(ctx.db, userId), { balance: "1.00000000", reserved: "1.00000000" });
});

test("a request above require_approval_above is pending and reserves its cost; checks still apply first", async (t) => {
  const { userId, projectId, headers } = await agent({ balance: "100" });
  const budgetId = await createBudget(ctx.db.ownerPool, userId, { projectId, daily: "10" });
  await createPolicy(ctx.db.ownerPool, userId, { projectId, requireApprovalAbove: "2" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "2" }), { status: "approved" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "7" }), { status: "pending", reason: null, reservedCost: "7.00000000" });
  t.like(await submit(ctx.gateway, headers, { projectId, estimatedCost: "2.5" }), { status: "rejected", reason: "budget_daily_exceeded" });
  t.like(await budgetRow(ctx.db, budgetId), { daily: "9.00000000", reserved: "9.00000000" });
});

test("a negative or missing estimated cost is an SGCST error and records nothing", async (t) => {
  const { userId, projectId, headers } = await agent();
  for (const estimatedCost of ["-0.01", null]) {
    const response = await ctx.gateway.graphql(SUBMIT, { input: { projectId, agentId: "a", apiProvider: "openai", modelName: "m", endpoint: "e", estimatedCost } }, headers);
    t.is(errorCode(response), "SGCST");
    t.regex(response.body.errors![0]!.message, /estimated_cost must be a number >= 0/);
  }
  const { rows } = await ctx.db.ownerPool.query("select count(*)::int as n from app_public.requests where user_id = $1", [userId]);
  t.is(rows[0].n, 0);
});

test("another user's project, a deleted project or an unknown one is an SGPRJ error, not a rejected row", async (t) => {
  const me = await agent();
  const other = await agent();
  const deleted = await createProject(ctx.db.ownerPool, me.userId);
  await ctx.db.ownerPool.query("update app_public.projects set deleted_at = now() where project_id = $1", [deleted]);
  for (const projectId of [other.projectId, deleted, "00000000-0000-4000-8000-000000000000"]) {
    const response = await ctx.gateway.graphql(SUBMIT, { input: { projectId, estimatedCost: "0.1" } }, me.headers);
    t.is(errorCode(response), "SGPRJ");
    t.regex(response.body.errors![0]!.message, /does not exist or is not yours/);
  }
  const { rows } = await ctx.db.ownerPool.query("select count(*)::int as n from app_public.requests where user_id = $1", [me.userId]);
  t.is(rows[0].n, 0);
});

test("anonymous callers cannot submit requests", async (t) => {
  const response = await ctx.gateway.graphql(SUBMIT, { input: { estimatedCost: "0.1" } });
  t.truthy(response.body.errors?.length);
  t.is(response.body.data?.submitRequest ?? null, null);
});

test("submit_request without a live user is SGANO (called in SQL with a soft-deleted user's identity)", async (t) => {
  const userId = await createUser(ctx.db.ownerPool);
  await ctx.db.ownerPool.query("update app_public.users set deleted_at = now() where user_id = $1", [userId]);
  const client = await ctx.db.ownerPool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', 'spendgate_user', true), set_config('jwt.claims.user_id', $1, true)", [userId]);
    await client.query("set local role spendgate_user");
    const error = await t.throwsAsync(client.query("select * from app_public.submit_request(null, 'a', 'openai', 'm', 'e', '{}', 0.1)"));
    t.is((error as { code?: string }).code, "SGANO");
  } finally {
    await client.query("rollback");
    client.release();
  }
});
