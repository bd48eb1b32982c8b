// Streams the records of an uploaded spend file, one at a time, whatever its size: a CSV with a
// header row (csv-parse) or a JSON array of objects (stream-json, numbers kept as their text so
// that a cost is never rounded through a float). A file that is not valid CSV or JSON ends the
// iteration with a FileFormatError naming what is wrong and where.
import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import { parse as parseCsv, CsvError } from "csv-parse";

const require = createRequire(import.meta.url);
const StreamArray = require("stream-json/streamers/StreamArray.js") as typeof import("stream-json/streamers/StreamArray.js");

export type FileRecord = Record<string, unknown>;

export class FileFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FileFormatError";
  }
}

/** Required and optional columns (README: "Spend uploads", file format). */
export const REQUIRED_FIELDS = ["occurred_at", "provider", "model", "cost", "currency"] as const;
export const OPTIONAL_FIELDS = ["external_id", "project", "agent", "input_tokens", "output_tokens"] as const;

/** The records of the file, in order; `row` is 1 for the first record (after a CSV header). */
export async function* readRecords(body: Readable, fileType: "csv" | "json"): AsyncGenerator<{ row: number; record: unknown }> {
  if (fileType === "csv") yield* csvRecords(body);
  else yield* jsonRecords(body);
}

async function* csvRecords(body: Readable): AsyncGenerator<{ row: number; record: unknown }> {
  let missing: string[] = [];
  const parser = parseCsv({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    columns: (header: string[]) => {
      const columns = header.map((name) => name.trim().toLowerCase());
      missing = REQUIRED_FIELDS.filter((field) => !columns.includes(field));
      return columns;
    },
  });
  body.on("error", (error) => parser.destroy(error));
  body.pipe(parser);
  let row = 0;
  try {
    for await (const record of parser) {
      if (missing.length) throw new FileFormatError(`the CSV header lacks required column(s): ${missing.join(", ")}`);
      yield { row: ++row, record };
    }
  } catch (error) {
    if (error instanceof CsvError) throw new FileFormatError(`not valid CSV: ${error.message}`);
    throw error;
  } finally {
    body.unpipe(parser);
    body.destroy();
  }
  if (row === 0 && missing.length) throw new FileFormatError(`the CSV header lacks required column(s): ${missing.join(", ")}`);
}

async function* jsonRecords(body: Readable): AsyncGenerator<{ row: number; record: unknown }> {
  // Whole values only (no per-character string and number events): half the work.
  const stream = StreamArray.withParser({ numberAsString: true, streamValues: false } as never);
  // A failing read (storage, network) is retried by the job; anything else is the file's fault.
  let readError: Error | undefined;
  body.on("error", (error) => stream.destroy((readError = error)));
  body.pipe(stream);
  try {
    for await (const { key, value } of stream as AsyncIterable<{ key: number; value: unknown }>) {
      yield { row: key + 1, record: value };
    }
  } catch (error) {
    if (error === readError) throw error;
    throw new FileFormatError(`not valid JSON (expected an array of transaction objects): ${(error as Error).message}`);
  } finally {
    body.unpipe(stream);
    body.destroy();
  }
}
