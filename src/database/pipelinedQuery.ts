// A node-postgres query that sends a few preamble statements (e.g. `begin` and the request's
// set_config calls) in the same extended-protocol batch as the query itself, under one Sync: the
// whole thing is one network round trip. Without an explicit `begin` PostgreSQL runs every
// statement up to the Sync in one implicit transaction, so transaction-local settings
// (set_config(..., true)) apply to the query and vanish at the Sync, exactly as with
// begin/set_config/query/commit, which takes four round trips (@dataplan/pg's own adaptor).
//
// The preamble's results are dropped: only the query's rows reach the caller. An error anywhere
// fails the whole batch (the server skips to the Sync and rolls the implicit transaction back).
import pg from "pg";

export interface PreambleStatement {
  text: string;
  /** Prepared once per connection under this name; without one it is parsed every time. */
  name?: string;
  values?: string[];
}

// node-postgres's Query and Connection are untyped internals here: the few members we touch.
interface WireConnection {
  parsedStatements: Record<string, string>;
  parse(message: { text: string; name?: string }): void;
  bind(message: { portal: string; statement?: string; values: string[] }): void;
  execute(message: { portal: string }): void;
  on(event: "parseComplete", listener: () => void): void;
  removeListener(event: "parseComplete", listener: () => void): void;
}

interface QueryInternals {
  name?: string;
  text: string;
  prepare(connection: WireConnection): void;
  handleDataRow(message: unknown): void;
  handleRowDescription(message: unknown): void;
  handleCommandComplete(message: unknown, connection: WireConnection): void;
  handleError(error: Error, connection: WireConnection): void;
  handleReadyForQuery(connection: WireConnection): void;
}

const BaseQuery = pg.Query as unknown as new (config: pg.QueryConfig) => QueryInternals;

export class PipelinedQuery extends BaseQuery {
  readonly #preamble: readonly PreambleStatement[];
  /** Preamble statements whose results have not arrived yet. */
  #pending: number;
  /** Names of the statements parsed in this batch, in order; each ParseComplete confirms the first. */
  #parsing: string[] = [];
  #connection: WireConnection | undefined;
  readonly #onParseComplete = () => {
    const name = this.#parsing.shift();
    if (name && name !== this.name && this.#connection) this.#connection.parsedStatements[name] = this.#text(name);
  };

  constructor(preamble: readonly PreambleStatement[], query: pg.QueryConfig) {
    super(query);
    this.#preamble = preamble;
    this.#pending = preamble.length;
  }

  requiresPreparation(): boolean {
    return true;
  }

  override prepare(connection: WireConnection): void {
    this.#connection = connection;
    connection.on("parseComplete", this.#onParseComplete);
    for (const statement of this.#preamble) {
      if (!statement.name || connection.parsedStatements[statement.name] === undefined) {
        connection.parse({ text: statement.text, name: statement.name ?? "" });
        this.#parsing.push(statement.name ?? "");
      }
      connection.bind({ portal: "", statement: statement.name ?? "", values: statement.values ?? [] });
      connection.execute({ portal: "" });
    }
    if (this.name && connection.parsedStatements[this.name] === undefined) this.#parsing.push(this.name);
    super.prepare(connection);
  }

  override handleRowDescription(message: unknown): void {
    if (this.#pending === 0) super.handleRowDescription(message);
  }

  override handleDataRow(message: unknown): void {
    if (this.#pending === 0) super.handleDataRow(message);
  }

  override handleCommandComplete(message: unknown, connection: WireConnection): void {
    if (this.#pending > 0) this.#pending--;
    else super.handleCommandComplete(message, connection);
  }

  override handleError(error: Error, connection: WireConnection): void {
    // node-postgres records the query's name as parsed at the batch's first ParseComplete, which
    // may have been a preamble's: if the query's own Parse never completed, forget that record so
    // the next use parses it again instead of failing with "prepared statement does not exist".
    if (this.name && this.#parsing.includes(this.name)) delete connection.parsedStatements[this.name];
    this.#detach();
    super.handleError(error, connection);
  }

  override handleReadyForQuery(connection: WireConnection): void {
    this.#detach();
    super.handleReadyForQuery(connection);
  }

  #detach(): void {
    this.#connection?.removeListener("parseComplete", this.#onParseComplete);
    this.#connection = undefined;
  }

  #text(name: string): string {
    return this.#preamble.find((statement) => statement.name === name)?.text ?? "";
  }
}
