// `--map MAP.json`: how a file written by another system names its fields. Per array,
// `{"rename": {"<legacy field>": "<Spendgate field>"}, "defaults": {"<Spendgate field>": value}}`.
// Renames apply before validation; a default fills a field the record does not have. Each row
// remembers what was renamed (`legacy.names`) and defaulted (`legacy.defaulted`), so that export
// writes the record back under its own names and without the defaults: the round trip stays
// lossless whatever the map.
import fs from "node:fs";
import type { Schema } from "./catalog.ts";
import { ENTITIES, ENTITY_NAMES, type EntityName } from "./entities.ts";
import { legacyIdText } from "./fields.ts";
import { canonical, isObject, newObject, parseExact, typeName, type JsonObject, type JsonValue } from "./json.ts";

export interface EntityMap {
  rename: Record<string, string>;
  defaults: Record<string, JsonValue>;
}
export type ImportMap = Partial<Record<EntityName, EntityMap>>;

export class MapError extends Error {
  override name = "MapError";
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`${file}: ${problems.length} problem(s) in the map:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

/** Field names a record of the entity may carry to mean a Spendgate column (id, references, fields). */
export function spendgateFields(entity: EntityName): string[] {
  const def = ENTITIES[entity];
  const names = ["id", ...def.references.map((ref) => ref.key), ...def.fields.map((field) => field.key)];
  // A plain refresh token is accepted in place of its hash (validate.ts).
  return entity === "sessions" ? [...names, "refresh_token"] : names;
}

/**
 * Reads and validates a map file against the database's columns (a default must be a value the
 * column accepts); every problem is listed, as `ai_jobs.defaults.provider: ...`.
 */
export function loadMap(file: string, schema: Schema): ImportMap {
  let parsed: JsonValue;
  try {
    parsed = parseExact(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new MapError(file, [`cannot be read as JSON: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  const map = checkMap(parsed, schema, (line) => problems.push(line));
  if (problems.length) throw new MapError(file, problems);
  return map;
}

function checkMap(parsed: JsonValue, schema: Schema, problem: (line: string) => void): ImportMap {
  const map: ImportMap = {};
  if (!isObject(parsed)) {
    problem(`expected an object with one entry per array (${ENTITY_NAMES.join(", ")}), got ${typeName(parsed)}`);
    return map;
  }
  for (const key of Object.keys(parsed)) {
    if (!(ENTITY_NAMES as readonly string[]).includes(key)) {
      problem(`${key}: not an array of the file (expected ${ENTITY_NAMES.join(", ")})`);
      continue;
    }
    const entity = key as EntityName;
    const spec = parsed[key]!;
    if (!isObject(spec)) {
      problem(`${entity}: expected an object {"rename": {...}, "defaults": {...}}, got ${typeName(spec)}`);
      continue;
    }
    for (const part of Object.keys(spec)) {
      if (part !== "rename" && part !== "defaults") problem(`${entity}.${part}: unknown (expected rename or defaults)`);
    }
    map[entity] = { rename: checkRename(entity, spec.rename, problem), defaults: checkDefaults(schema, entity, spec.defaults, problem) };
  }
  return map;
}

function checkRename(entity: EntityName, value: JsonValue | undefined, problem: (line: string) => void): Record<string, string> {
  const rename: Record<string, string> = {};
  if (value === undefined) return rename;
  if (!isObject(value)) {
    problem(`${entity}.rename: expected an object {"<legacy field>": "<Spendgate field>"}, got ${typeName(value)}`);
    return rename;
  }
  const known = spendgateFields(entity);
  const from = new Map<string, string>();
  for (const legacy of Object.keys(value)) {
    const target = value[legacy]!;
    const where = `${entity}.rename.${legacy}`;
    if (typeof target !== "string" || target === "") {
      problem(`${where}: expected a field name (a non-empty string), got ${typeName(target)}`);
      continue;
    }
    if (target === legacy) {
      problem(`${where}: renames the field to itself`);
      continue;
    }
    // A rename either gives a Spendgate field its legacy name, or moves a legacy field that
    // happens to carry a Spendgate name out of the way; anything else is most likely a typo.
    if (!known.includes(target) && !known.includes(legacy)) {
      problem(`${where}: "${target}" is not a field of ${entity} (${known.join(", ")})`);
      continue;
    }
    const other = from.get(target);
    if (other !== undefined) {
      problem(`${where}: "${other}" is renamed to "${target}" too`);
      continue;
    }
    from.set(target, legacy);
    rename[legacy] = target;
  }
  return rename;
}

function checkDefaults(schema: Schema, entity: EntityName, value: JsonValue | undefined, problem: (line: string) => void): Record<string, JsonValue> {
  const defaults: Record<string, JsonValue> = {};
  if (value === undefined) return defaults;
  if (!isObject(value)) {
    problem(`${entity}.defaults: expected an object {"<Spendgate field>": value}, got ${typeName(value)}`);
    return defaults;
  }
  const def = schema[entity];
  for (const key of Object.keys(value)) {
    const given = value[key]!;
    const where = `${entity}.defaults.${key}`;
    const field = def.fields.find((f) => f.key === key);
    const reference = def.references.find((ref) => ref.key === key);
    if (!field && !reference) {
      const fields = [...def.references.map((ref) => ref.key), ...def.fields.map((f) => f.key)];
      problem(`${where}: not a field of ${entity} that can have a default (${fields.join(", ")})`);
      continue;
    }
    if (given === null) {
      problem(`${where}: must not be null (a missing field is already null unless the column requires a value)`);
      continue;
    }
    const converted = field ? field.kind.toColumn(given) : legacyIdText(given);
    if ("problem" in converted) {
      problem(`${where}: ${converted.problem}`);
      continue;
    }
    defaults[key] = given;
  }
  return defaults;
}

export interface Mapped {
  record: JsonObject;
  /** Spendgate name → the record's own name, for the renamed fields the record has. */
  names: Record<string, string>;
  /** Fields the record did not have, with the default they got. */
  defaulted: Record<string, JsonValue>;
  /** Legacy fields renamed onto a name the record also has. */
  clashes: { legacy: string; target: string }[];
}

/** The record under Spendgate's names, with the map's defaults for the fields it lacks. */
export function applyMap(map: EntityMap, value: JsonObject): Mapped {
  const record = newObject();
  const names: Record<string, string> = {};
  const clashes: Mapped["clashes"] = [];
  for (const key of Object.keys(value)) {
    const target = Object.hasOwn(map.rename, key) ? map.rename[key]! : key;
    const taken = Object.hasOwn(record, target) || (target !== key && Object.hasOwn(value, target) && !Object.hasOwn(map.rename, target));
    if (taken) {
      clashes.push({ legacy: key, target });
      continue;
    }
    record[target] = value[key]!;
    if (target !== key) names[target] = key;
  }
  const defaulted: Record<string, JsonValue> = {};
  for (const key of Object.keys(map.defaults)) {
    if (Object.hasOwn(record, key)) continue;
    record[key] = map.defaults[key]!;
    defaulted[key] = map.defaults[key]!;
  }
  return { record, names, defaulted, clashes };
}

/**
 * The inverse, on a record as export rebuilds it: defaulted fields that still hold their default
 * are left out, renamed fields get their own names back (in place, keeping the order).
 */
export function restoreNames(record: JsonObject, legacy: JsonObject): JsonObject {
  const names = isObject(legacy.names) ? legacy.names : undefined;
  const defaulted = isObject(legacy.defaulted) ? legacy.defaulted : undefined;
  if (!names && !defaulted) return record;
  const out = newObject();
  for (const key of Object.keys(record)) {
    const value = record[key]!;
    if (defaulted && Object.hasOwn(defaulted, key) && canonical(defaulted[key]!) === canonical(value)) continue;
    const name = names && Object.hasOwn(names, key) ? names[key] : undefined;
    out[typeof name === "string" ? name : key] = value;
  }
  return out;
}
