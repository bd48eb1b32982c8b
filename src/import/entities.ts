// What a legacy record of each array becomes: its table, and which fields go to which column
// (with their kind and the value the column gets when the field is absent). Every field not
// listed here is kept as is in the row's `legacy.extra`. References (user_id, project_id) hold
// legacy ids and are resolved to uuids through app_private.legacy_ids.
import * as k from "./fields.ts";
import { JsonNumber, type JsonValue } from "./json.ts";

export type EntityName = "users" | "projects" | "ai_jobs" | "sessions";
export const ENTITY_NAMES: readonly EntityName[] = ["users", "projects", "ai_jobs", "sessions"];

export interface Field {
  key: string;
  column: string;
  kind: k.Kind;
  /** Staging column type. */
  sqlType: string;
  /** Cast applied when merging into the table (enums). */
  cast?: string;
  required?: boolean;
  notNull?: boolean;
  /** Value the column gets when the field is absent; undefined = null (or the database fills it). */
  absent?: JsonValue;
}

export interface Reference {
  key: string;
  column: string;
  entity: EntityName;
  required: boolean;
}

export interface Entity {
  name: EntityName;
  table: string;
  pk: string;
  fields: Field[];
  references: Reference[];
}

const n = (text: string) => new JsonNumber(text);
const ts = (key: string, extra: Partial<Field> = {}): Field => ({ key, column: key, kind: k.timestamp(), sqlType: "timestamptz", ...extra });

const USER_ROLES = ["user", "operator", "admin"];
const ACCOUNT_STATUSES = ["active", "suspended", "inactive"];
const TIERS = ["free", "pro", "enterprise"];
const PROVIDERS = ["anthropic", "openai", "glm"];
const EXECUTION_STATUSES = ["pending", "running", "completed", "failed", "skipped", "cancelled"];
const NODE_TYPES = ["trigger", "tool", "agent", "condition", "adapter", "parallel", "aggregator"];
const TOOL_TYPES = ["http", "mcp", "python", "shell", "builtin"];
const TRIGGER_TYPES = ["schedule", "event", "manual"];
const AUTH_MODES = ["oauth", "standalone", "sdk", "glm"];

const enumField = (key: string, values: string[], type: string, extra: Partial<Field> = {}): Field => ({
  key, column: key, kind: k.enumeration(values), sqlType: "text", cast: `app_public.${type}`, ...extra,
});

// created_at is mapped (the database keeps it from then on); updated_at is not: the column means
// "last changed in Spendgate" and is kept by a trigger, so a legacy updated_at stays in `extra`.
// deleted_at is mapped: the row is inserted already soft-deleted, which fires neither the
// soft-delete audit trail nor the credential revocation (both are update triggers); the checks
// revoke the sessions of deleted users themselves (checks.ts).
export const ENTITIES: Record<EntityName, Entity> = {
  users: {
    name: "users",
    table: "app_public.users",
    pk: "user_id",
    references: [],
    fields: [
      { key: "email", column: "email", kind: k.email(), sqlType: "text", cast: "citext" },
      { key: "phone_number", column: "phone_number", kind: k.text(), sqlType: "text" },
      { key: "password_hash", column: "password_hash", kind: k.text(), sqlType: "text" },
      { key: "oauth_providers", column: "oauth_providers", kind: k.json({ object: true }), sqlType: "jsonb", notNull: true, absent: Object.create(null) },
      enumField("role", USER_ROLES, "user_role", { notNull: true, absent: "user" }),
      { key: "consent_status", column: "consent_status", kind: k.boolean(), sqlType: "boolean", notNull: true, absent: false },
      { key: "consent_version", column: "consent_version", kind: k.text(), sqlType: "text", notNull: true, absent: "1.0" },
      enumField("account_status", ACCOUNT_STATUSES, "accountstatus", { notNull: true, absent: "active" }),
      enumField("tier", TIERS, "usertier", { notNull: true, absent: "free" }),
      { key: "total_spending", column: "total_spending", kind: k.decimal(20, 8, 0), sqlType: "numeric", notNull: true, absent: n("0") },
      { key: "available_balance", column: "available_balance", kind: k.decimal(20, 8, 0), sqlType: "numeric", notNull: true, absent: n("0") },
      { key: "total_requests", column: "total_requests", kind: k.bigint(0), sqlType: "bigint", notNull: true, absent: n("0") },
      ts("last_request_at"),
      ts("created_at", { notNull: true }),
      ts("deleted_at"),
    ],
  },
  projects: {
    name: "projects",
    table: "app_public.projects",
    pk: "project_id",
    references: [{ key: "user_id", column: "user_id", entity: "users", required: true }],
    fields: [
      { key: "name", column: "name", kind: k.text({ nonEmpty: true }), sqlType: "text", required: true },
      { key: "description", column: "description", kind: k.text(), sqlType: "text" },
      ts("created_at", { notNull: true }),
      ts("deleted_at"),
    ],
  },
  ai_jobs: {
    name: "ai_jobs",
    table: "app_public.ai_jobs",
    pk: "job_id",
    references: [
      { key: "user_id", column: "user_id", entity: "users", required: true },
      { key: "project_id", column: "project_id", entity: "projects", required: false },
    ],
    fields: [
      enumField("provider", PROVIDERS, "model_provider", { required: true }),
      { key: "model_name", column: "model_name", kind: k.text(), sqlType: "text" },
      enumField("status", EXECUTION_STATUSES, "execution_status", { notNull: true, absent: "pending" }),
      enumField("node_type", NODE_TYPES, "node_type"),
      enumField("tool_type", TOOL_TYPES, "tool_type"),
      enumField("trigger_type", TRIGGER_TYPES, "trigger_type", { notNull: true, absent: "manual" }),
      enumField("auth_mode", AUTH_MODES, "auth_mode"),
      { key: "input", column: "input", kind: k.json(), sqlType: "jsonb", notNull: true, absent: Object.create(null) },
      { key: "output", column: "output", kind: k.json(), sqlType: "jsonb" },
      { key: "error", column: "error", kind: k.text(), sqlType: "text" },
      { key: "cost", column: "cost", kind: k.decimal(20, 8, 0), sqlType: "numeric" },
      ts("started_at"),
      ts("completed_at"),
      ts("created_at", { notNull: true }),
      ts("deleted_at"),
    ],
  },
  sessions: {
    name: "sessions",
    table: "app_public.sessions",
    pk: "session_id",
    references: [{ key: "user_id", column: "user_id", entity: "users", required: true }],
    fields: [
      // A legacy plain `refresh_token` is replaced by its SHA-256 under this key before anything
      // else happens (see validate.ts): the one documented lossy step of the import.
      { key: "refresh_token_sha256", column: "refresh_token", kind: k.sha256Hex(), sqlType: "text", required: true },
      ts("expires_at", { required: true }),
      ts("revoked_at"),
      ts("last_used_at"),
      ts("created_at", { notNull: true }),
      ts("deleted_at"),
    ],
  },
};
