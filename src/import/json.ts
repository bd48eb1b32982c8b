// The JSON value model of the importer. Numbers are kept as their exact source text (JsonNumber),
// never as JS floats: 12345678901234567890.123456789 must come out as it went in. Objects are
// null-prototype records, so a legacy key like "__proto__" is just data.
import { createHash } from "node:crypto";

export class JsonNumber {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function newObject(): JsonObject {
  return Object.create(null) as JsonObject;
}

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);
}

export function typeName(value: JsonValue): string {
  if (value === null) return "null";
  if (value instanceof JsonNumber) return "number";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : typeof value;
}

/** JSON text in the object's own key order, numbers exactly as read. */
export function serialize(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(serialize).join(",")}]`;
  let out = "{";
  let first = true;
  for (const key of Object.keys(value)) {
    out += `${first ? "" : ","}${JSON.stringify(key)}:${serialize(value[key]!)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * The form two JSON values are compared and checksummed in: keys sorted (key order carries no
 * meaning in JSON, and jsonb does not keep it), numbers as their exact text, no whitespace.
 */
export function canonical(value: JsonValue): string {
  if (value === null || typeof value !== "object" || value instanceof JsonNumber || Array.isArray(value)) {
    return Array.isArray(value) ? `[${value.map(canonical).join(",")}]` : serialize(value);
  }
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key]!)}`).join(",")}}`;
}

/** First 8 bytes of the SHA-256 of the canonical text, as a signed 64-bit integer (bigint column). */
export function recordHash(value: JsonValue): bigint {
  return createHash("sha256").update(canonical(value)).digest().readBigInt64BE(0);
}

/**
 * Parses JSON text keeping every number's exact source text. The reviver with source access
 * (Node 22) is exact but about four times slower than a plain JSON.parse; most texts (the
 * exporter and verification parse a million of them) only hold numbers whose float prints back
 * to the same text, so those take the fast path: plain parse, numbers rewrapped from the float.
 */
export function parseExact(text: string): JsonValue {
  if (numbersRoundTrip(text)) return wrapNumbers(JSON.parse(text));
  return JSON.parse(text, function reviver(this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    if (typeof value === "number") return new JsonNumber(context!.source!);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return Object.assign(newObject(), value);
    }
    return value;
  } as never) as JsonValue;
}

// Strings are matched (and skipped) so that digits inside them are not taken for numbers.
const NUMBER_LIKE = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * True when every number token prints back identically from its float (String(Number(x)) === x).
 */
function numbersRoundTrip(text: string): boolean {
  for (const match of text.matchAll(NUMBER_LIKE)) {
    const token = match[0];
    if (token.charCodeAt(0) !== 34 && JSON_NUMBER.test(token) && String(Number(token)) !== token) return false;
  }
  return true;
}

function wrapNumbers(value: unknown): JsonValue {
  if (typeof value === "number") return new JsonNumber(String(value));
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = wrapNumbers(value[i]);
  } else if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) object[key] = wrapNumbers(object[key]);
  }
  return value as JsonValue;
}

// jsonb stores numbers as numeric: a plain decimal keeps its exact text (scale included, "1.50"),
// but an exponent ("1e2") or a negative zero ("-0") is rewritten. Such values are kept as text.
const JSONB_EXACT_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?$/;

export function survivesJsonb(value: JsonValue): boolean {
  if (value instanceof JsonNumber) return JSONB_EXACT_NUMBER.test(value.text) && !/^-0(\.0+)?$/.test(value.text);
  if (Array.isArray(value)) return value.every(survivesJsonb);
  if (isObject(value)) return Object.keys(value).every((key) => survivesJsonb(value[key]!));
  return true;
}

/** Why PostgreSQL could not store this value exactly (NUL characters, lone surrogates), if it cannot. */
export function unstorable(value: JsonValue): string | undefined {
  const check = (text: string): string | undefined => {
    if (text.includes("\u0000")) return "contains a NUL character (U+0000), which PostgreSQL cannot store";
    if (!text.isWellFormed()) return "contains a lone UTF-16 surrogate, which is not valid Unicode";
    return undefined;
  };
  if (typeof value === "string") return check(value);
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = unstorable(item);
      if (problem) return problem;
    }
  } else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      const problem = check(key) ?? unstorable(value[key]!);
      if (problem) return problem;
    }
  }
  return undefined;
}
