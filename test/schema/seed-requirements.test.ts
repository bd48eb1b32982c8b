// The seeds' own checks (issue 3, item 9), read from pg_catalog after all migrations: every table,
// column, enum and value, foreign key with its ON DELETE rule and named index the seeds require,
// plus the cross-cutting rules (RLS, timestamps trigger, comments, types), so that a later
// migration cannot silently break them.
import test from "ava";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.drop();
});

const q = async <R = any>(sql: string, values: unknown[] = []): Promise<R[]> => (await db.ownerPool.query(sql, values)).rows as R[];

const COMMON = ["created_at", "updated_at", "deleted_at"];

// Every column a seed names (seed 000 SmartSpace, 003 SpendSense, 004 legacy), with its name.
const TABLES: Record<string, string[]> = {
  users: [
    "user_id", "email", "phone_number", "password_hash", "oauth_providers", "role", "consent_status",
    "consent_version", "account_status", "tier", "total_spending", "available_balance", "total_requests",
    "last_request_at",
  ],
  sessions: ["session_id", "user_id", "refresh_token", "expires_at", "last_used_at", "family_id", "replaced_by", "revoked_at"],
  api_keys: ["id", "user_id", "key_hash", "last_used_at", "usage_count", "status", "name", "key_prefix", "revoked_at", "expires_at"],
  projects: ["project_id", "user_id", "name", "description"],
  budgets: [
    "id", "user_id", "project_id", "daily_limit", "monthly_limit", "per_request_limit", "current_daily_spending",
    "current_monthly_spending", "period_start", "period_end",
  ],
  policies: [
    "id", "user_id", "project_id", "allowed_providers", "allowed_models", "rate_limits", "forbidden_operations",
    "require_approval_above",
  ],
  payments: ["payment_id", "user_id", "request_id", "amount", "currency", "network", "tx_hash", "block_number", "status"],
  requests: [
    "request_id", "user_id", "project_id", "agent_id", "api_provider", "model_name", "endpoint", "parameters", "status",
    "estimated_cost", "actual_cost", "reason",
  ],
  ai_jobs: ["job_id", "user_id", "project_id", "provider", "model_name", "status", "input", "output", "cost"],
  data_uploads: [
    "upload_id", "user_id", "file_name", "file_size", "file_type", "s3_key", "s3_bucket", "status",
    "validation_errors", "processed_at",
  ],
  recommendations: [
    "recommendation_id", "user_id", "type", "title", "content", "rationale", "status", "decision_trace",
    "approved_at", "approved_by", "rejected_at", "rejected_by", "rejection_reason",
  ],
  user_profiles: ["profile_id", "user_id", "persona_id", "persona_name", "signals_30d", "signals_180d"],
  persona_history: ["history_id", "user_id", "persona_id", "persona_name", "assigned_at", "signals"],
};

const ENUMS: Record<string, string[]> = {
  accountstatus: ["active", "suspended", "inactive"],
  usertier: ["free", "pro", "enterprise"],
  apikeystatus: ["active", "revoked"],
  paymentstatus: ["pending", "completed", "failed", "cancelled"],
  requeststatus: ["pending", "validating", "approved", "rejected", "executing", "executed", "failed", "cancelled"],
  node_type: ["trigger", "tool", "agent", "condition", "adapter", "parallel", "aggregator"],
  tool_type: ["http", "mcp", "python", "shell", "builtin"],
  model_provider: ["anthropic", "openai", "glm"],
  execution_status: ["pending", "running", "completed", "failed", "skipped", "cancelled"],
  auth_mode: ["oauth", "standalone", "sdk", "glm"],
  trigger_type: ["schedule", "event", "manual"],
  user_role: ["user", "operator", "admin"],
  file_type: ["json", "csv"],
  upload_status: ["pending", "processing", "completed", "failed"],
  recommendation_type: ["education", "partner_offer"],
  recommendation_status: ["pending", "approved", "rejected"],
  // Not from a seed: issue 12's reconciliation of uploaded spend.
  reconciliation_status: ["matched", "cost_differs", "missing_in_gateway", "missing_in_upload"],
  // Not from a seed: what an alert event reports (issue 11, migration 20261130030000-alert-events).
  alert_event_kind: ["threshold_crossed", "hold_expired", "rejections_exceeded"],
};

const ENUM_COLUMNS: [table: string, column: string, type: string][] = [
  ["users", "account_status", "accountstatus"],
  ["users", "tier", "usertier"],
  ["users", "role", "user_role"],
  ["api_keys", "status", "apikeystatus"],
  ["payments", "status", "paymentstatus"],
  ["requests", "status", "requeststatus"],
  ["ai_jobs", "provider", "model_provider"],
  ["ai_jobs", "status", "execution_status"],
  ["ai_jobs", "node_type", "node_type"],
  ["ai_jobs", "tool_type", "tool_type"],
  ["ai_jobs", "trigger_type", "trigger_type"],
  ["ai_jobs", "auth_mode", "auth_mode"],
  ["data_uploads", "file_type", "file_type"],
  ["data_uploads", "status", "upload_status"],
  ["recommendations", "type", "recommendation_type"],
  ["recommendations", "status", "recommendation_status"],
];

type DeleteRule = "CASCADE" | "RESTRICT" | "SET NULL";
// Seed 001's ON DELETE rules (CASCADE for keys, budgets, policies; RESTRICT for payments and
// requests) and the rules chosen for the other references.
const FOREIGN_KEYS: [table: string, column: string, references: string, rule: DeleteRule][] = [
  ["api_keys", "user_id", "users.user_id", "CASCADE"],
  ["budgets", "user_id", "users.user_id", "CASCADE"],
  ["policies", "user_id", "users.user_id", "CASCADE"],
  ["sessions", "user_id", "users.user_id", "CASCADE"],
  ["payments", "user_id", "users.user_id", "RESTRICT"],
  ["requests", "user_id", "users.user_id", "RESTRICT"],
  ["projects", "user_id", "users.user_id", "CASCADE"],
  ["budgets", "project_id", "projects.project_id", "CASCADE"],
  ["policies", "project_id", "projects.project_id", "CASCADE"],
  ["requests", "project_id", "projects.project_id", "RESTRICT"],
  ["payments", "request_id", "requests.request_id", "RESTRICT"],
  ["sessions", "replaced_by", "sessions.session_id", "SET NULL"],
  ["ai_jobs", "user_id", "users.user_id", "CASCADE"],
  ["ai_jobs", "project_id", "projects.project_id", "CASCADE"],
  ["data_uploads", "user_id", "users.user_id", "CASCADE"],
  ["recommendations", "user_id", "users.user_id", "CASCADE"],
  ["recommendations", "approved_by", "users.user_id", "SET NULL"],
  ["recommendations", "rejected_by", "users.user_id", "SET NULL"],
  ["user_profiles", "user_id", "users.user_id", "CASCADE"],
  ["persona_history", "user_id", "users.user_id", "CASCADE"],
];

// Indexes the seeds name or list (seed 000's names; seed 003's lists, composites included).
const NAMED_INDEXES: [name: string, table: string, columns: string[], unique: boolean][] = [
  ["idx_api_keys_key_hash", "api_keys", ["key_hash"], true],
  ["idx_api_keys_user_id", "api_keys", ["user_id"], false],
  ["idx_users_email", "users", ["email"], true],
  ["idx_users_phone_number", "users", ["phone_number"], true],
  ["idx_sessions_user_id", "sessions", ["user_id"], false],
  ["idx_sessions_refresh_token", "sessions", ["refresh_token"], true],
  ["idx_sessions_expires_at", "sessions", ["expires_at"], false],
  ["idx_data_uploads_user_id", "data_uploads", ["user_id"], false],
  ["idx_data_uploads_status", "data_uploads", ["status"], false],
  ["idx_data_uploads_created_at", "data_uploads", ["created_at"], false],
  ["idx_recommendations_user_id", "recommendations", ["user_id"], false],
  ["idx_recommendations_status", "recommendations", ["status"], false],
  ["idx_recommendations_created_at", "recommendations", ["created_at"], false],
  ["idx_recommendations_approved_at", "recommendations", ["approved_at"], false],
  ["idx_recommendations_user_id_status", "recommendations", ["user_id", "status"], false],
  ["idx_user_profiles_user_id", "user_profiles", ["user_id"], true],
  ["idx_user_profiles_persona_id", "user_profiles", ["persona_id"], false],
  ["idx_persona_history_user_id", "persona_history", ["user_id"], false],
  ["idx_persona_history_assigned_at", "persona_history", ["assigned_at"], false],
  ["idx_persona_history_user_id_assigned_at", "persona_history", ["user_id", "assigned_at"], false],
];

const UUID_PRIMARY_KEYS: [table: string, column: string][] = [
  ["users", "user_id"], ["sessions", "session_id"], ["projects", "project_id"], ["budgets", "id"],
  ["policies", "id"], ["payments", "payment_id"], ["requests", "request_id"], ["ai_jobs", "job_id"],
  ["data_uploads", "upload_id"], ["recommendations", "recommendation_id"], ["user_profiles", "profile_id"],
  ["persona_history", "history_id"],
];

test("app_public has the thirteen tables of the seeds", async (t) => {
  const rows = await q<{ relname: string }>(
    "select relname from pg_class where relnamespace = 'app_public'::regnamespace and relkind in ('r', 'p') order by 1",
  );
  const actual = rows.map((r) => r.relname);
  t.deepEqual(Object.keys(TABLES).filter((table) => !actual.includes(table)), []);
});

test("every table has every column the seeds name, plus created_at, updated_at and deleted_at", async (t) => {
  const rows = await q<{ table_name: string; column_name: string }>(
    "select table_name, column_name from information_schema.columns where table_schema = 'app_public'",
  );
  for (const [table, columns] of Object.entries(TABLES)) {
    const actual = new Set(rows.filter((r) => r.table_name === table).map((r) => r.column_name));
    const missing = [...columns, ...COMMON].filter((c) => !actual.has(c));
    t.deepEqual(missing, [], `${table} lacks ${missing.join(", ")}`);
  }
});

test("every enum type exists in app_public with the seeds' exact values in order", async (t) => {
  const rows = await q<{ typname: string; labels: string[] }>(
    `select t.typname, array_agg(e.enumlabel order by e.enumsortorder)::text[] as labels
       from pg_type t join pg_enum e on e.enumtypid = t.oid
      where t.typnamespace = 'app_public'::regnamespace
      group by t.typname`,
  );
  const actual = rows.map((r): [string, string[]] => [r.typname, r.labels]).sort(([a], [b]) => a.localeCompare(b));
  t.deepEqual(actual, Object.entries(ENUMS).sort(([a], [b]) => a.localeCompare(b)));
});

test("enum columns use the native enum types", async (t) => {
  for (const [table, column, type] of ENUM_COLUMNS) {
    const [row] = await q(
      "select udt_schema, udt_name from information_schema.columns where table_schema = 'app_public' and table_name = $1 and column_name = $2",
      [table, column],
    );
    t.deepEqual(row, { udt_schema: "app_public", udt_name: type }, `${table}.${column}`);
  }
});

test("primary keys are uuids from gen_random_uuid(), except api_keys.id which auto-increments", async (t) => {
  for (const [table, column] of UUID_PRIMARY_KEYS) {
    const [row] = await q(
      `select c.data_type, c.column_default,
              (select array_agg(a.attname::text) from pg_constraint k
                 join pg_attribute a on a.attrelid = k.conrelid and a.attnum = any (k.conkey)
                where k.conrelid = format('app_public.%I', c.table_name)::regclass and k.contype = 'p') as pk
         from information_schema.columns c
        where c.table_schema = 'app_public' and c.table_name = $1 and c.column_name = $2`,
      [table, column],
    );
    t.deepEqual(row, { data_type: "uuid", column_default: "gen_random_uuid()", pk: [column] }, table);
  }
  const [apiKeys] = await q(
    "select data_type, is_identity, identity_generation from information_schema.columns where table_schema = 'app_public' and table_name = 'api_keys' and column_name = 'id'",
  );
  t.deepEqual(apiKeys, { data_type: "bigint", is_identity: "YES", identity_generation: "ALWAYS" });
});

test("every foreign key the seeds name exists with its ON DELETE rule", async (t) => {
  const rows = await q<{ tbl: string; col: string; ref: string; rule: string }>(
    `select c.conrelid::regclass::text as tbl, a.attname as col,
            c.confrelid::regclass::text || '.' || ra.attname as ref,
            case c.confdeltype when 'c' then 'CASCADE' when 'r' then 'RESTRICT' when 'n' then 'SET NULL'
                               when 'd' then 'SET DEFAULT' else 'NO ACTION' end as rule
       from pg_constraint c
       join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
       join pg_attribute ra on ra.attrelid = c.confrelid and ra.attnum = c.confkey[1]
      where c.contype = 'f' and c.connamespace = 'app_public'::regnamespace and cardinality(c.conkey) = 1`,
  );
  const actual = new Map(rows.map((r) => [`${r.tbl.replace("app_public.", "")}.${r.col}`, r]));
  for (const [table, column, references, rule] of FOREIGN_KEYS) {
    const fk = actual.get(`${table}.${column}`);
    t.truthy(fk, `missing foreign key ${table}.${column}`);
    t.is(fk?.ref, `app_public.${references}`, `${table}.${column} references`);
    t.is(fk?.rule, rule, `${table}.${column} ON DELETE`);
  }
});

test("every index the seeds name or list exists on its columns, unique where required", async (t) => {
  for (const [name, table, columns, unique] of NAMED_INDEXES) {
    const [row] = await q(
      `select i.indrelid::regclass::text as tbl, i.indisunique as unique,
              array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, n)
                      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.n) as columns
         from pg_index i where i.indexrelid = to_regclass('app_public.' || $1)`,
      [name],
    );
    t.deepEqual(row, { tbl: `app_public.${table}`, unique, columns }, name);
  }
});

test("api key hashes and refresh token hashes are unique over all rows, not only live ones", async (t) => {
  const rows = await q(
    `select indexrelid::regclass::text as name, indpred is null as total from pg_index
      where indexrelid in ('app_public.idx_api_keys_key_hash'::regclass, 'app_public.idx_sessions_refresh_token'::regclass)
      order by 1`,
  );
  t.deepEqual(rows, [
    { name: "app_public.idx_api_keys_key_hash", total: true },
    { name: "app_public.idx_sessions_refresh_token", total: true },
  ]);
});

test("every foreign key column is covered by a full index that starts with it", async (t) => {
  const rows = await q<{ fk: string }>(
    `select c.conname || ' on ' || c.conrelid::regclass::text as fk
       from pg_constraint c
      where c.contype = 'f' and c.connamespace = 'app_public'::regnamespace
        and not exists (
          select from pg_index i
           where i.indrelid = c.conrelid and i.indpred is null
             and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey
        )`,
  );
  t.deepEqual(rows.map((r) => r.fk), []);
});

test("row-level security is enabled on every app_public table, with one restrictive soft-delete policy", async (t) => {
  const rows = await q<{ relname: string; rls: boolean; restrictive: string[] }>(
    `select c.relname, c.relrowsecurity as rls,
            array(select p.polname::text from pg_policy p where p.polrelid = c.oid and not p.polpermissive
                   and p.polcmd = 'r' and p.polroles = '{0}') as restrictive
       from pg_class c where c.relnamespace = 'app_public'::regnamespace and c.relkind in ('r', 'p')`,
  );
  t.true(rows.length >= Object.keys(TABLES).length);
  for (const row of rows) {
    t.true(row.rls, `RLS on ${row.relname}`);
    t.deepEqual(row.restrictive, ["hide_deleted"], `restrictive policy on ${row.relname}`);
  }
});

test("every table keeps updated_at with the shared trigger and guards deleted_at", async (t) => {
  const rows = await q<{ relname: string; triggers: string[] }>(
    `select c.relname,
            array(select p.proname::text from pg_trigger g join pg_proc p on p.oid = g.tgfoid
                   where g.tgrelid = c.oid and not g.tgisinternal
                     and p.pronamespace = 'app_private'::regnamespace
                     and p.proname in ('tg__timestamps', 'tg__soft_delete_guard')
                     and g.tgtype & 2 = 2 -- before
                   order by 1) as triggers
       from pg_class c where c.relnamespace = 'app_public'::regnamespace and c.relkind = 'r'`,
  );
  for (const row of rows) t.deepEqual(row.triggers, ["tg__soft_delete_guard", "tg__timestamps"], row.relname);
});

test("every table, column, enum type and function of ours is commented", async (t) => {
  const missing = await q<{ what: string }>(
    `select 'table ' || c.relname as what from pg_class c
      where c.relnamespace in ('app_public'::regnamespace, 'app_private'::regnamespace) and c.relkind = 'r'
        and coalesce(obj_description(c.oid, 'pg_class'), '') = ''
     union all
     select 'column ' || c.relname || '.' || a.attname from pg_class c join pg_attribute a on a.attrelid = c.oid
      where c.relnamespace in ('app_public'::regnamespace, 'app_private'::regnamespace) and c.relkind = 'r'
        and a.attnum > 0 and not a.attisdropped and coalesce(col_description(c.oid, a.attnum), '') = ''
     union all
     select 'type ' || t.typname from pg_type t
      where t.typnamespace = 'app_public'::regnamespace and t.typtype = 'e'
        and coalesce(obj_description(t.oid, 'pg_type'), '') = ''
     union all
     select 'function ' || p.oid::regprocedure::text from pg_proc p
      where p.pronamespace in ('app_public'::regnamespace, 'app_private'::regnamespace)
        and coalesce(obj_description(p.oid, 'pg_proc'), '') = ''`,
  );
  t.deepEqual(missing.map((m) => m.what), []);
});

test("money is numeric(20,8), time is timestamptz and JSON is jsonb: no float, timestamp or json columns", async (t) => {
  const wrong = await q<{ col: string }>(
    `select table_name || '.' || column_name || ' ' || data_type as col from information_schema.columns
      where table_schema = 'app_public'
        and data_type in ('real', 'double precision', 'money', 'json', 'timestamp without time zone')`,
  );
  t.deepEqual(wrong.map((w) => w.col), []);
  const money = await q<{ col: string; p: number; s: number }>(
    `select table_name || '.' || column_name as col, numeric_precision as p, numeric_scale as s
       from information_schema.columns where table_schema = 'app_public' and data_type = 'numeric'`,
  );
  const moneyColumns = money.map((m) => m.col);
  const expected = [
    "ai_jobs.cost", "budgets.current_daily_spending", "budgets.current_monthly_spending", "budgets.daily_limit",
    "budgets.monthly_limit", "budgets.per_request_limit", "payments.amount", "policies.require_approval_above",
    "requests.actual_cost", "requests.estimated_cost", "users.available_balance", "users.total_spending",
  ];
  t.deepEqual(expected.filter((column) => !moneyColumns.includes(column)), [], "money columns are numeric");
  for (const m of money) t.deepEqual([m.p, m.s], [20, 8], m.col);
});

test("emails are case-insensitive (citext) and unique among live users", async (t) => {
  const [row] = await q(
    "select udt_name from information_schema.columns where table_schema = 'app_public' and table_name = 'users' and column_name = 'email'",
  );
  t.is(row.udt_name, "citext");
  const [index] = await q("select pg_get_indexdef('app_public.idx_users_email'::regclass) as def");
  t.regex(index.def, /WHERE \(deleted_at IS NULL\)/);
});

test("the API roles exist; the authenticator logs in, does not inherit, cannot bypass RLS and owns nothing", async (t) => {
  const roles = await q(
    `select rolname, rolcanlogin, rolinherit, rolbypassrls, rolsuper from pg_roles
      where rolname like 'spendgate\\_%' and rolname in
        ('spendgate_authenticator', 'spendgate_anonymous', 'spendgate_user', 'spendgate_operator', 'spendgate_admin')
      order by rolname`,
  );
  t.deepEqual(
    roles.map((r) => [r.rolname, r.rolcanlogin, r.rolbypassrls, r.rolsuper]),
    [
      ["spendgate_admin", false, false, false],
      ["spendgate_anonymous", false, false, false],
      ["spendgate_authenticator", true, false, false],
      ["spendgate_operator", false, false, false],
      ["spendgate_user", false, false, false],
    ],
  );
  t.false(roles.find((r) => r.rolname === "spendgate_authenticator").rolinherit);
  const [owned] = await q(
    `select (select count(*) from pg_class where relowner = 'spendgate_authenticator'::regrole)
          + (select count(*) from pg_proc where proowner = 'spendgate_authenticator'::regrole)
          + (select count(*) from pg_namespace where nspowner = 'spendgate_authenticator'::regrole) as n`,
  );
  t.is(Number(owned.n), 0);
  const [members] = await q(
    `select pg_has_role('spendgate_admin', 'spendgate_operator', 'member') as admin_operator,
            pg_has_role('spendgate_operator', 'spendgate_user', 'member') as operator_user,
            pg_has_role('spendgate_user', 'spendgate_operator', 'member') as user_operator,
            pg_has_role('spendgate_authenticator', 'spendgate_anonymous', 'member')
              and pg_has_role('spendgate_authenticator', 'spendgate_user', 'member')
              and pg_has_role('spendgate_authenticator', 'spendgate_operator', 'member')
              and pg_has_role('spendgate_authenticator', 'spendgate_admin', 'member') as authenticator_all`,
  );
  t.deepEqual(members, { admin_operator: true, operator_user: true, user_operator: false, authenticator_all: true });
});

test("every security definer function pins its search_path", async (t) => {
  const rows = await q<{ fn: string }>(
    `select p.oid::regprocedure::text as fn from pg_proc p
      where p.pronamespace in ('app_public'::regnamespace, 'app_private'::regnamespace) and p.prosecdef
        and not exists (select from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')`,
  );
  t.deepEqual(rows.map((r) => r.fn), []);
});

test("no API role may hard-delete or truncate any app_public table", async (t) => {
  const rows = await q<{ grant: string }>(
    `select r.rolname || ' ' || p.privilege || ' ' || c.relname as grant
       from pg_class c
      cross join (values ('spendgate_anonymous'), ('spendgate_user'), ('spendgate_operator'), ('spendgate_admin'),
                         ('spendgate_authenticator')) r(rolname)
      cross join (values ('DELETE'), ('TRUNCATE')) p(privilege)
      where c.relnamespace = 'app_public'::regnamespace and c.relkind = 'r'
        and has_table_privilege(r.rolname, c.oid, p.privilege)`,
  );
  t.deepEqual(rows.map((r) => r.grant), []);
});
