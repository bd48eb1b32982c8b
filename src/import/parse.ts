// Streams a legacy file and hands over one record at a time: memory stays flat whatever the file
// size. stream-json's parser emits tokens; we assemble only the records (the elements of the
// top-level arrays), keeping numbers as their exact text (stream-json passes number tokens as
// strings) and flagging duplicate keys, which JSON.parse would silently collapse.
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import { ENTITY_NAMES, type EntityName } from "./entities.ts";
import { JsonNumber, newObject, type JsonObject, type JsonValue } from "./json.ts";

const require = createRequire(import.meta.url);
const { parser: makeParser } = require("stream-json") as typeof import("stream-json");

interface Token {
  name: string;
  value?: string;
}

export interface ReadHandlers {
  /** Called for each record; may return a promise, during which reading pauses (backpressure). */
  record(entity: EntityName, index: number, value: JsonValue, duplicateKeys: string[]): void | Promise<void>;
  problem(line: string): void;
  progress?(bytesRead: number): void;
}

export interface ReadResult {
  bytes: number;
  sha256: string;
  counts: Record<EntityName, number>;
}

export async function readLegacyFile(file: string, handlers: ReadHandlers): Promise<ReadResult> {
  const hash = createHash("sha256");
  let bytes = 0;
  const counts = { users: 0, projects: 0, ai_jobs: 0, sessions: 0 };
  const source = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const parser = makeParser({ packValues: true, streamValues: false });
  source.on("data", (chunk) => {
    bytes += chunk.length;
    hash.update(chunk as Buffer);
    handlers.progress?.(bytes);
  });

  // Assembly state. depth counts open containers; records live at depth 2 (top object, array).
  let depth = 0;
  let topKey: string | undefined;
  let topKind: "records" | "ignored" | undefined;
  const seenTop = new Set<string>();
  const stack: (JsonObject | JsonValue[])[] = [];
  const keys: (string | undefined)[] = [];
  let duplicates: string[] = [];
  let pending: Promise<void> | undefined;
  let failure: Error | undefined; // a failed record handler (e.g. a COPY), not a JSON error

  const add = (value: JsonValue) => {
    if (stack.length === 0) return finish(value);
    const top = stack[stack.length - 1]!;
    if (Array.isArray(top)) top.push(value);
    else {
      const key = keys[keys.length - 1]!;
      if (Object.hasOwn(top, key)) duplicates.push(key);
      top[key] = value;
    }
  };
  const finish = (value: JsonValue) => {
    if (topKind !== "records") return;
    const entity = topKey as EntityName;
    const result = handlers.record(entity, counts[entity]++, value, duplicates);
    duplicates = [];
    if (result) {
      parser.pause();
      pending = result.then(() => {
        pending = undefined;
        parser.resume();
      });
      pending.catch((error: Error) => {
        failure = error;
        parser.destroy(error);
      });
    }
  };

  const onToken = (token: Token) => {
    switch (token.name) {
      case "startObject":
      case "startArray": {
        depth++;
        if (depth === 1) {
          if (token.name !== "startObject") {
            handlers.problem("$: the file must hold one JSON object with the arrays users, projects, ai_jobs, sessions");
            topKind = "ignored";
          }
          return;
        }
        if (depth === 2) {
          const known = (ENTITY_NAMES as readonly string[]).includes(topKey!);
          if (known && token.name === "startArray" && !seenTop.has(topKey!)) topKind = "records";
          else {
            handlers.problem(
              !known
                ? `${topKey}: unknown top-level key (expected users, projects, ai_jobs, sessions); its value is not imported`
                : seenTop.has(topKey!)
                  ? `${topKey}: appears twice at the top level; the second one is not imported`
                  : `${topKey}: expected an array`,
            );
            topKind = "ignored";
          }
          seenTop.add(topKey!);
          if (token.name === "startArray") return; // records arrive as its elements
        }
        if (topKind !== "records") return; // skip the contents of ignored values cheaply
        const container = token.name === "startObject" ? newObject() : [];
        stack.push(container);
        keys.push(undefined);
        return;
      }
      case "endObject":
      case "endArray": {
        depth--;
        if (depth >= 2 && topKind === "records") {
          const done = stack.pop()!;
          keys.pop();
          add(done);
        }
        if (depth === 1) topKind = undefined;
        return;
      }
      case "keyValue":
        if (depth === 1) topKey = token.value!;
        else if (topKind === "records") keys[keys.length - 1] = token.value!;
        return;
    }
    if (depth === 1) {
      // A scalar directly under a top-level key.
      const known = (ENTITY_NAMES as readonly string[]).includes(topKey!);
      handlers.problem(known ? `${topKey}: expected an array` : `${topKey}: unknown top-level key (expected users, projects, ai_jobs, sessions); its value is not imported`);
      return;
    }
    if (depth === 0) {
      handlers.problem("$: the file must hold one JSON object with the arrays users, projects, ai_jobs, sessions");
      return;
    }
    if (topKind !== "records") return;
    switch (token.name) {
      case "stringValue":
        return add(token.value!);
      case "numberValue":
        return add(new JsonNumber(token.value!));
      case "nullValue":
        return add(null);
      case "trueValue":
        return add(true);
      case "falseValue":
        return add(false);
    }
  };

  await new Promise<void>((resolve, reject) => {
    source.on("error", reject);
    parser.on("error", (error: Error) => reject(failure ?? new Error(`not valid JSON: ${error.message}`)));
    parser.on("data", onToken);
    parser.on("end", () => (pending ? pending.then(resolve, reject) : resolve()));
    source.pipe(parser);
  });
  return { bytes, sha256: hash.digest("hex"), counts };
}
