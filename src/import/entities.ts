// What a legacy record of each array becomes: its table, which fields go to which column, and
// references (user_id, project_id), which hold legacy ids resolved to uuids through
// app_private.legacy_ids. Every field not listed here is kept as is in the row's `legacy.extra`.
// Only the mapping is written here; what a column accepts (its type, enum labels, numeric
// precision, nullability, default, check constraints) is read from the catalog when an import or
// export starts (catalog.ts), so that a migration changing a column changes what the importer
// accepts.

export type EntityName = "users" | "projects" | "ai_jobs" | "sessions";
export const ENTITY_NAMES: readonly EntityName[] = ["users", "projects", "ai_jobs", "sessions"];

export interface FieldShape {
  key: string;
  column: string;
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
  fields: FieldShape[];
  references: Reference[];
}

const field = (key: string, column = key): FieldShape => ({ key, column });
const TIMES = ["created_at", "deleted_at"].map((key) => field(key));

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
      field("email"),
      field("phone_number"),
      field("password_hash"),
      field("oauth_providers"),
      field("role"),
      field("consent_status"),
      field("consent_version"),
      field("account_status"),
      field("tier"),
      field("total_spending"),
      field("available_balance"),
      field("total_requests"),
      field("last_request_at"),
      ...TIMES,
    ],
  },
  projects: {
    name: "projects",
    table: "app_public.projects",
    pk: "project_id",
    references: [{ key: "user_id", column: "user_id", entity: "users", required: true }],
    fields: [field("name"), field("description"), ...TIMES],
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
      ...["provider", "model_name", "status", "node_type", "tool_type", "trigger_type", "auth_mode", "input", "output", "error", "cost", "started_at", "completed_at"].map((key) => field(key)),
      ...TIMES,
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
      field("refresh_token_sha256", "refresh_token"),
      field("expires_at"),
      field("revoked_at"),
      field("last_used_at"),
      ...TIMES,
    ],
  },
};
