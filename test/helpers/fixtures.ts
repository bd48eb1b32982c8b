// Rows for tests, inserted as the owner (bypassing RLS): for what a test needs to exist before the
// behaviour it checks, never instead of a client flow it is meant to check (those go through HTTP).
// The one place that creates users, projects, budgets and policies for the whole suite.
import { randomBytes, randomUUID } from "node:crypto";
import type pg from "pg";

export type Role = "user" | "operator" | "admin";

export interface UserFields {
  email?: string;
  role?: Role;
  tier?: string;
  /** Stored as a bcrypt hash (cost 4: fast, for tests); `login` accepts it. */
  password?: string;
  /** available_balance; the column default (0) when not given. */
  balance?: string;
  accountStatus?: "active" | "suspended" | "inactive";
}

export const TEST_PASSWORD = "password123";

export async function createUser(owner: pg.Pool, fields: UserFields = {}): Promise<string> {
  const { rows } = await owner.query<{ user_id: string }>(
    `insert into app_public.users (email, role, tier, account_status, available_balance, password_hash)
     values ($1, $2, coalesce($3, 'free')::app_public.usertier, coalesce($4, 'active')::app_public.accountstatus,
             coalesce($5::numeric, 0), public.crypt($6, public.gen_salt('bf', 4)))
     returning user_id`,
    [
      fields.email ?? `u-${randomBytes(6).toString("hex")}@example.com`,
      fields.role ?? "user",
      fields.tier ?? null,
      fields.accountStatus ?? null,
      fields.balance ?? null,
      fields.password ?? TEST_PASSWORD,
    ],
  );
  return rows[0]!.user_id;
}

export async function createProject(owner: pg.Pool, userId: string, name = `project ${randomUUID()}`): Promise<string> {
  const { rows } = await owner.query<{ project_id: string }>(
    "insert into app_public.projects (user_id, name) values ($1, $2) returning project_id",
    [userId, name],
  );
  return rows[0]!.project_id;
}

export interface BudgetFields {
  projectId?: string | null;
  daily?: string | null;
  monthly?: string | null;
  perRequest?: string | null;
}

export async function createBudget(owner: pg.Pool, userId: string, fields: BudgetFields = {}): Promise<string> {
  const { rows } = await owner.query<{ id: string }>(
    `insert into app_public.budgets (user_id, project_id, daily_limit, monthly_limit, per_request_limit)
     values ($1, $2, $3, $4, $5) returning id`,
    [userId, fields.projectId ?? null, fields.daily ?? null, fields.monthly ?? null, fields.perRequest ?? null],
  );
  return rows[0]!.id;
}

export interface PolicyFields {
  projectId?: string | null;
  allowedProviders?: string[];
  allowedModels?: string[];
  forbiddenOperations?: string[];
  rateLimits?: Record<string, number>;
  requireApprovalAbove?: string | null;
}

export async function createPolicy(owner: pg.Pool, userId: string, fields: PolicyFields = {}): Promise<string> {
  const { rows } = await owner.query<{ id: string }>(
    `insert into app_public.policies (user_id, project_id, allowed_providers, allowed_models, forbidden_operations,
       rate_limits, require_approval_above)
     values ($1, $2, $3, $4, $5, $6, $7) returning id`,
    [
      userId,
      fields.projectId ?? null,
      JSON.stringify(fields.allowedProviders ?? []),
      JSON.stringify(fields.allowedModels ?? []),
      JSON.stringify(fields.forbiddenOperations ?? []),
      JSON.stringify(fields.rateLimits ?? {}),
      fields.requireApprovalAbove ?? null,
    ],
  );
  return rows[0]!.id;
}

/** A 64-character hex string, like the SHA-256 hashes stored for keys and refresh tokens. */
export function fakeHash(): string {
  return randomBytes(32).toString("hex");
}
