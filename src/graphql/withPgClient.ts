// PostGraphile's database access for API requests, doing per request the least PostgreSQL work
// and the fewest round trips. @dataplan/pg's own adaptor runs `begin`, a set_config statement, the
// query and `commit` one after the other (four round trips per statement); here the settings
// travel in the same batch as the query (src/database/pipelinedQuery.ts):
//   - a read: set_config(..., true) + the query under one Sync, one implicit transaction: one
//     round trip, and the settings are gone when it ends;
//   - a transaction (mutations with side effects): `begin` + settings + the first statement in
//     one round trip, then the others, then `commit`; a transaction that runs nothing sends nothing.
// The settings statement is prepared once per connection (one per number of settings), and
// queries that @dataplan/pg names are prepared statements kept in a small LRU per connection, as
// in @dataplan/pg.
// A statement that changes someone's credentials (logout, revocation, suspension, role) gets a
// notice SGCRD naming the user (sql/2200-request-authentication.sql); once its transaction has
// committed, `onCredentialsChanged` tells this instance's credential cache, and is awaited before
// the answer leaves (with Redis it deletes the user's session keys there), so the client's next
// request, here or with Redis on any instance, cannot be answered from a stale entry. A
// submitRequest refused by a rate limit gets a notice SGRTA with the seconds to wait, recorded
// on the request's query context for plugins/RetryAfterPlugin.ts.
import type { PgClientQuery, PgClientResult } from "postgraphile/@dataplan/pg";
import type { NodePostgresPgClient } from "postgraphile/adaptors/pg";
import type pg from "pg";
import { PipelinedQuery, type PreambleStatement } from "../database/pipelinedQuery.ts";
import { noteRetryAfter } from "../database/queryContext.ts";

type WithPgClient = <T>(pgSettings: Record<string, string | undefined> | null, callback: (client: NodePostgresPgClient) => T | Promise<T>) => Promise<T>;
type PgNotice = NonNullable<PgClientResult<unknown>["notices"]>[number];
/** The fields of a PostgreSQL notice as node-postgres delivers them. */
type NoticeMessage = Partial<Record<"severity" | "message" | "code" | "detail" | "hint" | "where" | "schema" | "table" | "column" | "constraint" | "routine", string>>;

const BEGIN: PreambleStatement = { text: "begin" };
const PREPARED_STATEMENTS_PER_CONNECTION = 100;
const NO_NOTICES: readonly PgNotice[] = Object.freeze([]);

/** `select set_config($1, $2, true), ...` for n settings: the same text, so prepared, for each n. */
function settingsStatement(settings: Record<string, string | undefined> | null): PreambleStatement | undefined {
  if (!settings) return undefined;
  const values: string[] = [];
  for (const key in settings) {
    const value = settings[key];
    if (value != null) values.push(key, String(value));
  }
  const count = values.length / 2;
  if (count === 0) return undefined;
  return { name: `spendgate_settings_${count}`, text: SETTINGS_TEXT[count] ??= settingsText(count), values };
}
const SETTINGS_TEXT: string[] = [];
const settingsText = (count: number) =>
  `select ${Array.from({ length: count }, (_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(", ")}`;

type PooledConnection = pg.PoolClient & {
  /** Names of this connection's prepared statements, least recently used first. */
  spendgatePrepared?: Map<string, true>;
  /** node-postgres's record of the statements this connection has prepared. */
  connection?: { parsedStatements?: Record<string, string> };
};

/** Transaction state shared by a connection's client and its nested transaction clients. */
interface Transaction {
  state: "none" | "pending" | "open";
  /** Users whose credentials the open transaction changed (notices SGCRD), told at commit; made on the first. */
  credentialsChanged?: Set<string>;
}

const CREDENTIALS_CHANGED = "SGCRD";
const RATE_LIMITED = "SGRTA";
type CredentialsChanged = (userId: string) => void | Promise<void>;

export function makeWithPgClient(pool: pg.Pool, onCredentialsChanged: CredentialsChanged = () => {}): WithPgClient {
  const withPgClient = async <T>(pgSettings: Record<string, string | undefined> | null, callback: (client: NodePostgresPgClient) => T | Promise<T>): Promise<T> => {
    const raw: PooledConnection = await pool.connect();
    if (!raw.spendgatePrepared) {
      raw.spendgatePrepared = new Map();
      // As @dataplan/pg does: JIT optimisation costs far more than it saves on API-sized queries.
      raw.query("set jit_optimize_above_cost = -1").catch(() => {});
    }
    try {
      return await callback(new SettingsClient(raw, settingsStatement(pgSettings), { state: "none" }, 0, onCredentialsChanged));
    } finally {
      raw.release();
    }
  };
  return withPgClient as WithPgClient;
}

class SettingsClient implements NodePostgresPgClient {
  readonly rawClient: PooledConnection;
  private readonly raw: PooledConnection;
  private readonly settings: PreambleStatement | undefined;
  private readonly transaction: Transaction;
  private readonly depth: number;
  private readonly onCredentialsChanged: CredentialsChanged;

  constructor(raw: PooledConnection, settings: PreambleStatement | undefined, transaction: Transaction, depth: number, onCredentialsChanged: CredentialsChanged) {
    this.rawClient = this.raw = raw;
    this.settings = settings;
    this.transaction = transaction;
    this.depth = depth;
    this.onCredentialsChanged = onCredentialsChanged;
  }

  private nested(depth: number): this {
    return new SettingsClient(this.raw, this.settings, this.transaction, depth, this.onCredentialsChanged) as this;
  }

  async query<TData>({ text, values, arrayMode, name }: PgClientQuery): Promise<PgClientResult<TData>> {
    const config: pg.QueryConfig = { text, values: values as unknown[] };
    if (arrayMode) (config as pg.QueryArrayConfig).rowMode = "array";
    if (name) config.name = this.prepared(name);
    const preamble = this.preamble();
    let notices: PgNotice[] | undefined;
    const onNotice = (notice: NoticeMessage) => (notices ??= []).push(toNotice(notice));
    this.raw.on("notice", onNotice);
    try {
      const result: pg.QueryResult =
        preamble.length === 0
          ? await this.raw.query(config)
          : await new Promise((resolve, reject) => this.raw.query(new PipelinedQuery(preamble, config) as never, (error: Error | null, res: pg.QueryResult) => (error ? reject(error) : resolve(res))));
      for (const notice of notices ?? NO_NOTICES) {
        if (notice.code === RATE_LIMITED) noteRetryAfter(Number(notice.detail));
        if (notice.code !== CREDENTIALS_CHANGED || !notice.detail) continue;
        // Outside a transaction the statement has committed by now.
        if (isOpen(this.transaction)) (this.transaction.credentialsChanged ??= new Set()).add(notice.detail);
        else await this.onCredentialsChanged(notice.detail);
      }
      return { rows: result.rows as TData[], rowCount: result.rowCount, notices: notices ?? NO_NOTICES };
    } finally {
      this.raw.removeListener("notice", onNotice);
    }
  }

  async withTransaction<T>(callback: (client: this) => Promise<T>): Promise<T> {
    if (this.depth > 0 || this.transaction.state !== "none") return this.savepoint(callback);
    // `begin` waits for the first statement and rides in its batch (query() below).
    this.transaction.state = "pending";
    try {
      const result = await callback(this.nested(1));
      if (isOpen(this.transaction)) {
        await this.raw.query("commit");
        const changed = this.transaction.credentialsChanged;
        if (changed) await Promise.all(Array.from(changed, (userId) => this.onCredentialsChanged(userId)));
      }
      return result;
    } catch (error) {
      if (isOpen(this.transaction)) await this.raw.query("rollback").catch(() => {});
      throw error;
    } finally {
      this.transaction.state = "none";
      this.transaction.credentialsChanged = undefined;
    }
  }

  private async savepoint<T>(callback: (client: this) => Promise<T>): Promise<T> {
    const name = `tx${this.depth}`;
    await this.query({ text: `savepoint ${name}` });
    try {
      const result = await callback(this.nested(this.depth + 1));
      await this.raw.query(`release savepoint ${name}`);
      return result;
    } catch (error) {
      await this.raw.query(`rollback to savepoint ${name}`).catch(() => {});
      throw error;
    }
  }

  /** What must run before the next statement: the settings outside a transaction, or `begin` + settings as a transaction's first. */
  private preamble(): PreambleStatement[] {
    const { transaction, settings } = this;
    if (transaction.state === "open") return [];
    if (transaction.state === "pending") {
      transaction.state = "open";
      return settings ? [BEGIN, settings] : [BEGIN];
    }
    return settings ? [settings] : [];
  }

  /** Marks `name` recently used; past the limit the least recently used statement is deallocated. */
  private prepared(name: string): string {
    const lru = this.raw.spendgatePrepared!;
    if (lru.delete(name)) {
      lru.set(name, true);
      return name;
    }
    lru.set(name, true);
    if (lru.size > PREPARED_STATEMENTS_PER_CONNECTION) {
      const oldest = lru.keys().next().value!;
      lru.delete(oldest);
      const parsed = this.raw.connection?.parsedStatements;
      if (parsed?.[oldest] !== undefined) {
        this.raw
          .query(`deallocate ${this.raw.escapeIdentifier(oldest)}`)
          .then(() => delete parsed[oldest])
          .catch(() => {});
      }
    }
    return name;
  }
}

/** A function, not an inline test: TypeScript would narrow the state to what was last assigned. */
const isOpen = (transaction: Transaction) => transaction.state === "open";

function toNotice(n: NoticeMessage): PgNotice {
  return {
    severity: (n.severity ?? "NOTICE") as PgNotice["severity"],
    message: n.message ?? "",
    code: n.code,
    detail: n.detail,
    hint: n.hint,
    where: n.where,
    schema: n.schema,
    table: n.table,
    column: n.column,
    constraint: n.constraint,
    routine: n.routine,
  };
}
