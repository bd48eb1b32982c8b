// Checks one record of a spend file and turns it into a row of upload_transactions, or reports
// each problem with the row and the field (the shape of the import report). Values from a CSV are
// strings; from JSON, numbers arrive as their exact text. An empty value is a missing one.
import { REQUIRED_FIELDS, type FileRecord } from "./records.ts";

export interface Problem {
  row: number;
  field: string;
  message: string;
}

/** A valid transaction, as jsonb_to_recordset reads it (src/uploads/store.ts). */
export interface TransactionRow {
  row_number: number;
  occurred_at: string;
  provider: string;
  model: string;
  cost: string;
  currency: string;
  external_id: string | null;
  project: string | null;
  agent: string | null;
  input_tokens: string | null;
  output_tokens: string | null;
}

// ISO 8601 date or date-time; without an offset it is UTC.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
// numeric(20,8): up to 12 integer digits and 8 decimals.
const COST = /^\d{1,12}(\.\d{1,8})?$/;
const COUNT = /^\d{1,15}$/;

function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return value.trim() === "" ? undefined : value.trim();
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** 1.5e-7 as 0.00000015: exponent notation (valid JSON) moved exactly, without a float. */
function plainDecimal(value: string): string {
  const match = /^(\d+)(?:\.(\d+))?[eE]([+-]?\d{1,3})$/.exec(value);
  if (!match) return value;
  const digits = `${match[1]}${match[2] ?? ""}`;
  const point = match[1]!.length + Number(match[3]);
  const padded = point <= 0 ? `${"0".repeat(1 - point)}${digits}` : digits.padEnd(point, "0");
  const at = Math.max(point, 1);
  const whole = padded.slice(0, at).replace(/^0+(?=\d)/, "");
  const fraction = padded.slice(at).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

function timestamp(value: string): string | undefined {
  const match = TIMESTAMP.exec(value);
  if (!match) return undefined;
  const zone = match[8] ?? "Z";
  const iso = `${match[1]}-${match[2]}-${match[3]}T${match[4] ?? "00"}:${match[5] ?? "00"}:${match[6] ?? "00"}${match[7] ?? ""}${zone.toUpperCase() === "Z" ? "Z" : zone}`;
  const date = new Date(iso);
  // Reject dates that roll over (2026-02-30) rather than silently moving them.
  if (Number.isNaN(date.getTime()) || new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00Z`).toISOString().slice(0, 10) !== `${match[1]}-${match[2]}-${match[3]}`) {
    return undefined;
  }
  return date.toISOString();
}

/** The record as a transaction, or undefined after reporting its problems. */
export function validateRecord(row: number, record: unknown, problem: (p: Problem) => void): TransactionRow | undefined {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    problem({ row, field: "", message: "expected an object with the transaction's fields" });
    return undefined;
  }
  const fields = record as FileRecord;
  let ok = true;
  const report = (field: string, message: string) => {
    ok = false;
    problem({ row, field, message });
  };
  const value = (field: string) => text(fields[field]);
  for (const field of REQUIRED_FIELDS) if (value(field) === undefined) report(field, "required");
  const optional = (field: string, max: number) => {
    const v = value(field);
    if (v !== undefined && v.length > max) report(field, `at most ${max} characters`);
    return v ?? null;
  };
  const count = (field: string) => {
    const v = value(field);
    if (v !== undefined && !COUNT.test(v)) report(field, "expected a whole number >= 0");
    return v ?? null;
  };

  const occurredAt = value("occurred_at");
  const occurred = occurredAt === undefined ? undefined : timestamp(occurredAt);
  if (occurredAt !== undefined && occurred === undefined) report("occurred_at", `not an ISO 8601 date or time: ${JSON.stringify(occurredAt)}`);
  const provider = value("provider");
  if (provider !== undefined && provider.length > 100) report("provider", "at most 100 characters");
  const model = value("model");
  if (model !== undefined && model.length > 200) report("model", "at most 200 characters");
  const given = value("cost");
  const cost = given === undefined ? undefined : plainDecimal(given);
  if (cost !== undefined && !COST.test(cost)) report("cost", `expected a number >= 0 with at most 8 decimals: ${JSON.stringify(given)}`);
  const currency = value("currency");
  if (currency !== undefined && !/^[A-Za-z]{3}$/.test(currency)) report("currency", `expected a 3-letter ISO 4217 code: ${JSON.stringify(currency)}`);
  const transaction: TransactionRow = {
    row_number: row,
    occurred_at: occurred!,
    provider: provider?.toLowerCase()!,
    model: model!,
    cost: cost!,
    currency: currency?.toUpperCase()!,
    external_id: optional("external_id", 200),
    project: optional("project", 200),
    agent: optional("agent", 200),
    input_tokens: count("input_tokens"),
    output_tokens: count("output_tokens"),
  };
  return ok ? transaction : undefined;
}
