// The migration plan: what `npm run db:migrate` walks through, in order.
//
// * migrations/<timestamp>-<name>.js: the versioned migrations (db-migrate), in name order. They
//   hold the data shape and access: schemas, roles, types, tables, constraints, indexes, RLS
//   policies, grants on tables.
// * sql/NNNN-<concern>.sql: definition files, the current text of every function, view and
//   trigger, written with `create or replace`. Each opens with `-- after: <migration>`, the
//   migration whose objects it builds on, and is placed right after it. Files at one place run
//   in name order, and the names must follow the plan (a file placed later never sorts before
//   one placed earlier), so that `ls sql/` shows the order in which they apply.
//
// Reading the plan touches only the file system; src/database/migrate.ts runs it.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { splitStatements, type SqlStatement } from "./sqlStatements.ts";

export interface PlanDirs {
  migrationsDir: string;
  definitionsDir: string;
}

export interface MigrationStep {
  kind: "migration";
  /** File name without `.js`, e.g. 20261122000100-extensions-and-schemas. */
  name: string;
}

export interface DefinitionStep {
  kind: "definition";
  /** File name in the definitions folder, e.g. 3200-submit-request.sql. */
  file: string;
  /** How errors and reports name it, e.g. sql/3200-submit-request.sql. */
  label: string;
  /** The migration named by its `-- after:` header. */
  after: string;
  sha256: string;
  statements: SqlStatement[];
}

export type PlanStep = MigrationStep | DefinitionStep;

/** A plan that cannot be built: a definition file without a valid header, or out of order. */
export class PlanError extends Error {}

const DEFINITION_FILE = /^\d{4}-[a-z0-9][a-z0-9-]*\.sql$/;
const AFTER_HEADER = /^--\s*after:\s*(\S*)\s*$/;

export function migrationStepNames(migrationsDir: string): string[] {
  return fs
    .readdirSync(migrationsDir)
    .filter((file) => file.endsWith(".js"))
    .sort()
    .map((file) => file.slice(0, -".js".length));
}

export function loadPlan(dirs: PlanDirs): PlanStep[] {
  const migrations = migrationStepNames(dirs.migrationsDir);
  const known = new Set(migrations);
  const definitions = readDefinitions(dirs.definitionsDir);
  for (const definition of definitions) {
    if (!known.has(definition.after)) {
      throw new PlanError(
        `${definition.label}: its header "-- after: ${definition.after}" names no migration in ${path.basename(dirs.migrationsDir)}/ ` +
          `(it must name the migration whose tables and types the file builds on, e.g. "-- after: ${migrations.at(-1) ?? "<timestamp>-<name>"}")`,
      );
    }
  }
  const plan: PlanStep[] = [];
  for (const name of migrations) {
    plan.push({ kind: "migration", name });
    plan.push(...definitions.filter((definition) => definition.after === name));
  }
  assertNamesFollowPlan(plan.filter((step): step is DefinitionStep => step.kind === "definition"));
  return plan;
}

function readDefinitions(dir: string): DefinitionStep[] {
  if (!fs.existsSync(dir)) return [];
  const label = path.basename(dir);
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sql"))
    .map((entry) => entry.name)
    .sort()
    .map((file) => {
      if (!DEFINITION_FILE.test(file)) {
        throw new PlanError(
          `${label}/${file}: definition files are named NNNN-<concern>.sql (four digits, then lowercase words with dashes), so that their names show their order`,
        );
      }
      const sql = fs.readFileSync(path.join(dir, file), "utf8");
      return {
        kind: "definition" as const,
        file,
        label: `${label}/${file}`,
        after: afterHeader(`${label}/${file}`, sql),
        sha256: createHash("sha256").update(sql).digest("hex"),
        statements: definitionStatements(`${label}/${file}`, sql),
      };
    });
}

/** The migration named by the `-- after:` line among the comment lines that open the file. */
function afterHeader(label: string, sql: string): string {
  const found: string[] = [];
  for (const line of sql.split("\n")) {
    const trimmed = line.trim();
    if (trimmed && !trimmed.startsWith("--")) break;
    const match = AFTER_HEADER.exec(trimmed);
    if (match) found.push(match[1]!);
  }
  if (found.length !== 1 || !found[0]) {
    throw new PlanError(
      `${label}: ${found.length > 1 ? "more than one" : "no"} "-- after: <migration>" line in the comments that open the file ` +
        "(exactly one names the migration it is applied after, e.g. -- after: 20261122001100-budgets)",
    );
  }
  return found[0];
}

// What a definition file may not do: it is re-run whenever it changes, inside the runner's
// transaction, and defines functions, views and triggers only.
const NOT_IN_DEFINITIONS: [RegExp, string][] = [
  [/^create\s+(function|procedure|view|trigger)\b/i, "write `create or replace`: the file runs again whenever it changes"],
  [/^(create|alter)\s+(table|type|index|unique\s+index|policy|schema|extension|sequence|domain|role|materialized\s+view)\b/i, "tables, types, indexes, policies and the like belong in a migration"],
  [/^(insert|update|delete|truncate|copy)\b/i, "data belongs in a migration, or in sql/seeds/"],
  [/^(begin|commit|rollback|start\s+transaction|savepoint)\b/i, "the runner runs each file in its own transaction"],
];

function definitionStatements(label: string, sql: string): SqlStatement[] {
  let statements: SqlStatement[];
  try {
    statements = splitStatements(sql);
  } catch (error) {
    throw new PlanError(`${label}: ${(error as Error).message}`);
  }
  for (const statement of statements) {
    for (const [pattern, reason] of NOT_IN_DEFINITIONS) {
      if (pattern.test(statement.text)) {
        throw new PlanError(`${label}:${statement.line}: ${statement.text.split("\n", 1)[0]}: not in a definition file (${reason})`);
      }
    }
  }
  return statements;
}

function assertNamesFollowPlan(definitions: DefinitionStep[]): void {
  for (let i = 1; i < definitions.length; i += 1) {
    const previous = definitions[i - 1]!;
    const current = definitions[i]!;
    if (current.file < previous.file) {
      throw new PlanError(
        `${current.label} (after ${current.after}) sorts before ${previous.label} (after ${previous.after}) but is applied after it: ` +
          "renumber it so that the names of sql/ follow the order of their migrations",
      );
    }
  }
}
