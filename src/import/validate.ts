// Turns one legacy record into the row to stage: validated column values (canonical text for
// COPY), legacy ids of its references, its `legacy` envelope and the hash of the record (what
// verification compares the database against). Problems name the record and the field, as
// `users[1234].email: not an email`. Cross-record checks (duplicates, dangling references) run
// later in SQL over the staged rows, so memory does not grow with the file.
import type { ResolvedEntity } from "./catalog.ts";
import type { EntityName } from "./entities.ts";
import { legacyIdText, sha256 } from "./fields.ts";
import { isObject, newObject, recordHash, serialize, survivesJsonb, typeName, unstorable, type JsonObject, type JsonValue } from "./json.ts";
import { applyMap, restoreNames, type EntityMap } from "./map.ts";

export interface StagedRecord {
  index: number;
  legacyId: string | null;
  valid: boolean;
  /** One per entity field, canonical text or null. */
  columns: (string | null)[];
  /** One per entity reference: legacy id text and the reference's own JSON text. */
  refs: { legacyId: string | null; json: string | null }[];
  legacy: JsonObject;
  hash: bigint;
}

const REQUIRED = "required (a --map file can rename the file's own field to it, or give a default)";
const PLAIN_PASSWORD_KEY = /^(plain_?)?password(_plain|_text)?$/i;

/** The record as export will write it: a plain legacy refresh token becomes its SHA-256. */
export function exportView(entity: EntityName, record: JsonObject, problem: (field: string, message: string) => void): JsonObject {
  if (entity !== "sessions" || !("refresh_token" in record)) return record;
  const token = record.refresh_token;
  if ("refresh_token_sha256" in record) {
    problem("refresh_token", "both refresh_token and refresh_token_sha256 given");
    return record;
  }
  if (typeof token !== "string" || token === "") {
    problem("refresh_token", `expected a non-empty string, got ${typeName(token!)}`);
    return record;
  }
  const out = newObject();
  for (const key of Object.keys(record)) {
    if (key === "refresh_token") out.refresh_token_sha256 = sha256(token);
    else out[key] = record[key]!;
  }
  return out;
}

export function stageRecord(
  def: ResolvedEntity,
  index: number,
  value: JsonValue,
  report: (line: string) => void,
  map?: EntityMap,
): StagedRecord {
  const entity = def.name;
  const where = `${entity}[${index}]`;
  const staged: StagedRecord = {
    index,
    legacyId: null,
    valid: false,
    columns: def.fields.map(() => null),
    refs: def.references.map(() => ({ legacyId: null, json: null })),
    legacy: newObject(),
    hash: 0n,
  };
  if (!isObject(value)) {
    report(`${where}: expected an object, got ${typeName(value)}`);
    return staged;
  }
  let valid = true;
  const renamed = map ? applyMap(map, value) : undefined;
  // Problems name the field as the file does.
  const problem = (field: string, message: string) => {
    valid = false;
    report(`${where}.${renamed?.names[field] ?? field}: ${message}`);
  };
  for (const { legacy, target } of renamed?.clashes ?? []) problem(legacy, `the map renames it to ${target}, which the record also has`);
  if (renamed) value = renamed.record;

  if (!("id" in value)) problem("id", "required");
  else {
    const id = legacyIdText(value.id!);
    if ("problem" in id) problem("id", id.problem);
    else staged.legacyId = id.text;
  }

  const record = exportView(entity, value, problem);
  // The one kind of field that is not kept as it is: a plain-text password would end up readable
  // in the legacy column. Legacy systems' bcrypt hashes go to password_hash and keep working.
  if (entity === "users") {
    for (const key of Object.keys(record)) {
      if (PLAIN_PASSWORD_KEY.test(key)) problem(key, "plain-text passwords are not imported: hash them with bcrypt into password_hash first");
    }
  }
  const extra = newObject();
  const raw = newObject();
  const absent: string[] = [];
  const mapped = new Set<string>(["id"]);

  def.fields.forEach((field, i) => {
    mapped.add(field.key);
    if (!(field.key in record)) {
      if (field.required) problem(field.key, REQUIRED);
      absent.push(field.key);
      staged.columns[i] = field.absent;
      return;
    }
    const input = record[field.key]!;
    if (input === null) {
      if (field.required || field.notNull) problem(field.key, "must not be null");
      return;
    }
    const converted = field.kind.toColumn(input);
    if ("problem" in converted) return problem(field.key, converted.problem);
    staged.columns[i] = converted.text;
    if (field.kind.needsRaw(input, converted.text)) raw[field.key] = serialize(input);
  });

  def.references.forEach((reference, i) => {
    mapped.add(reference.key);
    const input = record[reference.key];
    if (input === undefined || input === null) {
      if (reference.required) problem(reference.key, input === null ? "must not be null" : "required");
      if (input === undefined) absent.push(reference.key);
      return;
    }
    const id = legacyIdText(input);
    if ("problem" in id) return problem(reference.key, id.problem);
    // Whether the reference is written like the target's own id (42 vs "42") is only known once
    // the target is resolved: the merge keeps the JSON text in legacy.raw when it differs.
    staged.refs[i] = { legacyId: id.text, json: serialize(input) };
  });

  for (const key of Object.keys(record)) {
    if (mapped.has(key)) continue;
    const input = record[key]!;
    const unfit = unstorable(input) ?? (unstorable(key) ? "the field name is not valid Unicode" : undefined);
    if (unfit) problem(key, unfit);
    else if (survivesJsonb(input)) extra[key] = input;
    else raw[key] = serialize(input);
  }

  staged.legacy.id = record.id ?? null;
  if (Object.keys(extra).length) staged.legacy.extra = extra;
  if (Object.keys(raw).length) staged.legacy.raw = raw;
  if (absent.length) staged.legacy.absent = absent;
  if (renamed && Object.keys(renamed.names).length) staged.legacy.names = toObject(renamed.names);
  if (renamed && Object.keys(renamed.defaulted).length) staged.legacy.defaulted = toObject(renamed.defaulted);
  staged.valid = valid;
  // What export will write: verification compares it with the rows as they are rebuilt.
  staged.hash = valid ? recordHash(restoreNames(record, staged.legacy)) : 0n;
  return staged;
}

function toObject(entries: Record<string, JsonValue>): JsonObject {
  return Object.assign(newObject(), entries);
}
