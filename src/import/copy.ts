// COPY ... FROM STDIN with the plain `pg` client (no extra dependency): a submittable query that
// sends one prepared chunk of COPY text when the server asks for it. The importer awaits each
// chunk before reading on, which bounds memory and gives backpressure.
import type pg from "pg";

interface Connection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyIn {
  readonly text: string;
  private readonly data: Buffer;
  private done: (error: Error | null) => void;
  private finished = false;
  constructor(text: string, data: Buffer, done: (error: Error | null) => void) {
    this.text = text;
    this.data = data;
    this.done = done;
  }
  private finish(error: Error | null) {
    if (this.finished) return;
    this.finished = true;
    this.done(error);
  }
  submit(connection: Connection) {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: Connection) {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }
  handleCommandComplete() {}
  handleError(error: Error) {
    // Reported at once: if the connection died, no ReadyForQuery will follow.
    this.finish(error);
  }
  handleReadyForQuery() {
    this.finish(null);
  }
}

export function copyIn(client: pg.ClientBase, sql: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.query(new CopyIn(sql, data, (error) => (error ? reject(error) : resolve())) as never);
  });
}

/** One value in COPY text format. */
export function copyValue(value: string | null): string {
  if (value === null) return "\\N";
  return value.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"));
}
