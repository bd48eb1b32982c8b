// Field kinds: how a legacy JSON value becomes a column value (validated, in the canonical text
// sent to COPY), how a column value is rendered back to JSON on export, and the SQL expression
// that reads the column in that same canonical text. A mapped field whose JSON value cannot be
// rebuilt exactly from its column (a timestamp written "2024-01-02 03:04:05", a number written
// 1.50, a numeric string "12") also keeps its original JSON text in `legacy.raw`.
import { createHash } from "node:crypto";
import { canonical, JsonNumber, parseExact, serialize, survivesJsonb, typeName, unstorable, type JsonValue } from "./json.ts";

export type Converted = { text: string | null } | { problem: string };

export interface Kind {
  toColumn(value: JsonValue): Converted;
  /** JSON written on export for a column value in canonical text (null = SQL null). */
  render(text: string | null): JsonValue;
  /** SQL giving the column in canonical text. */
  sql(column: string): string;
  /** Whether the original JSON must be kept in legacy.raw because render() cannot rebuild it. */
  needsRaw(value: JsonValue, text: string | null): boolean;
}

const byRender = (kind: Omit<Kind, "needsRaw">): Kind => ({
  ...kind,
  needsRaw: (value, text) => canonical(kind.render(text)) !== canonical(value),
});

function stringValue(value: JsonValue, then: (text: string) => Converted): Converted {
  if (typeof value !== "string") return { problem: `expected a string, got ${typeName(value)}` };
  const problem = unstorable(value);
  return problem ? { problem } : then(value);
}

// Formats (an email, a SHA-256) are the columns' check constraints, run in SQL (checks.ts).
export const text = (): Kind =>
  byRender({
    toColumn: (value) => stringValue(value, (s) => ({ text: s })),
    render: (t) => t,
    sql: (column) => `${column}::text`,
  });

export const enumeration = (values: readonly string[]): Kind =>
  byRender({
    toColumn: (value) =>
      stringValue(value, (s) => (values.includes(s) ? { text: s } : { problem: `not one of ${values.join(", ")}` })),
    render: (t) => t,
    sql: (column) => `${column}::text`,
  });

export const boolean = (): Kind =>
  byRender({
    toColumn: (value) =>
      typeof value === "boolean" ? { text: String(value) } : { problem: `expected true or false, got ${typeName(value)}` },
    render: (t) => (t === null ? null : t === "true"),
    sql: (column) => `${column}::text`,
  });

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * numeric(precision, scale): a JSON number or a decimal string, rounded like PostgreSQL (half away
 * from zero) to `scale` places. Canonical text: plain decimal without trailing zeros. Ranges
 * (>= 0) are the columns' check constraints.
 */
export const decimal = (precision: number, scale: number): Kind =>
  byRender({
    toColumn(value) {
      const source = value instanceof JsonNumber ? value.text : typeof value === "string" ? value.trim() : undefined;
      if (source === undefined) return { problem: `expected a number, got ${typeName(value)}` };
      const match = DECIMAL.exec(source);
      if (!match) return { problem: "not a decimal number" };
      const [, sign, intDigits, fracDigits = "", expText = "0"] = match;
      const exp = Number(expText);
      if (Math.abs(exp) > 1000) return { problem: `out of range for numeric(${precision},${scale})` };
      let digits = intDigits! + fracDigits;
      let point = intDigits!.length + exp; // position of the decimal point in `digits`
      if (point < 0) {
        digits = "0".repeat(-point) + digits;
        point = 0;
      }
      if (point > digits.length) digits = digits.padEnd(point, "0");
      const intPart = digits.slice(0, point) || "0";
      const fracPart = digits.slice(point);
      let scaled = BigInt(intPart + fracPart.slice(0, scale).padEnd(scale, "0"));
      if ((fracPart[scale] ?? "0") >= "5") scaled += 1n;
      const padded = scaled.toString().padStart(scale + 1, "0");
      const whole = padded.slice(0, padded.length - scale);
      const fraction = padded.slice(padded.length - scale).replace(/0+$/, "");
      if (whole.length > precision - scale) return { problem: `out of range for numeric(${precision},${scale})` };
      const negative = sign === "-" && scaled !== 0n;
      return { text: `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}` };
    },
    render: (t) => (t === null ? null : new JsonNumber(t)),
    sql: (column) => `trim_scale(${column})::text`,
  });

export const bigint = (): Kind =>
  byRender({
    toColumn(value) {
      const source = value instanceof JsonNumber ? value.text : typeof value === "string" ? value.trim() : undefined;
      if (source === undefined || !/^-?\d+$/.test(source)) return { problem: `expected a whole number, got ${typeName(value)}` };
      const n = BigInt(source);
      if (n > 9223372036854775807n || n < -9223372036854775808n) return { problem: "out of range for bigint" };
      return { text: n.toString() };
    },
    render: (t) => (t === null ? null : new JsonNumber(t)),
    sql: (column) => `${column}::text`,
  });

// A JSON column (jsonb). jsonb keeps everything but key order (irrelevant) and the spelling of
// numbers in exponent form or negative zero: those values keep their text in legacy.raw.
export const json = (): Kind => ({
  toColumn(value) {
    const problem = unstorable(value);
    return problem ? { problem } : { text: value === null ? null : serialize(value) };
  },
  render: (t) => (t === null ? null : parseExact(t)),
  sql: (column) => `${column}::text`,
  needsRaw: (value) => !survivesJsonb(value),
});

// Timestamps: ISO 8601 (with an offset, or none = UTC), "YYYY-MM-DD HH:MM:SS[.ffffff]", a date
// alone, or epoch seconds / milliseconds (a number or a digit string; 11+ integer digits =
// milliseconds). Canonical text: UTC with microseconds, exactly what to_char() below produces.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;
const EPOCH = /^(-)?(\d+)(?:\.(\d+))?$/;

export function parseTimestamp(value: JsonValue): Converted {
  const source = value instanceof JsonNumber ? value.text : typeof value === "string" ? value.trim() : undefined;
  if (source === undefined) return { problem: `expected a timestamp, got ${typeName(value)}` };
  let micros: bigint;
  const epoch = EPOCH.exec(source);
  const iso = ISO.exec(source);
  if (epoch) {
    const [, sign, whole, fraction = ""] = epoch;
    const millis = whole!.replace(/^0+/, "").length >= 11;
    // micro- from milliseconds: 3 more digits; from seconds: 6.
    const unitDigits = millis ? 3 : 6;
    if (fraction.length > unitDigits) return { problem: "not a timestamp (finer than a microsecond)" };
    micros = BigInt(whole! + fraction.padEnd(unitDigits, "0"));
    if (sign) micros = -micros;
  } else if (iso) {
    const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone] = iso;
    const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, second, 0);
    if (
      year < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 ||
      date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day
    ) {
      return { problem: "not a valid date and time" };
    }
    let offsetMinutes = 0;
    if (zone && !/^(Z|z|UTC)$/.test(zone)) {
      const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
      offsetMinutes = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
      if (Math.abs(offsetMinutes) > 18 * 60) return { problem: "not a valid time zone offset" };
    }
    micros = BigInt(date.getTime() - offsetMinutes * 60_000) * 1000n + BigInt(frac.slice(0, 6).padEnd(6, "0"));
  } else {
    return { problem: "not a timestamp (ISO 8601, YYYY-MM-DD HH:MM:SS or epoch seconds/milliseconds)" };
  }
  const micro = ((micros % 1000n) + 1000n) % 1000n;
  const millis = (micros - micro) / 1000n;
  if (millis < -62135596800000n || millis > 253402300799999n) return { problem: "timestamp out of range (years 1 to 9999)" };
  const iso8601 = new Date(Number(millis)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return { text: `${iso8601.slice(0, 23)}${micro.toString().padStart(3, "0")}Z` };
}

export const timestamp = (): Kind =>
  byRender({
    toColumn: parseTimestamp,
    render: (t) => t,
    sql: (column) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
  });

export function sha256(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/**
 * A legacy id (own id or a reference): an integer number or a non-empty string. Its canonical
 * text is the number's digits or the string itself, so 42 and "42" name the same record.
 */
export function legacyIdText(value: JsonValue): Converted {
  if (value instanceof JsonNumber) {
    return /^-?(0|[1-9]\d*)$/.test(value.text) ? { text: value.text } : { problem: "a numeric id must be a whole number" };
  }
  if (typeof value === "string") {
    if (value === "") return { problem: "must not be empty" };
    const problem = unstorable(value);
    return problem ? { problem } : { text: value };
  }
  return { problem: `expected a number or a string, got ${typeName(value)}` };
}
