// Reads on a hot standby (DATABASE_READ_URL; PostGraphile 5 has no read-replica support). A
// GraphQL query runs on the replica pool, a mutation on the primary, and so does every query of a
// caller for REPLICA_READ_YOUR_WRITES_MS after that caller's last mutation, so that clients read
// their own writes. A monitor compares the replica's replayed WAL with the primary's every
// REPLICA_CHECK_INTERVAL_MS: a replica that is down, no longer a standby, or behind by more than
// REPLICA_MAX_LAG_MS is skipped until it catches up. A query that fails on the replica because
// of the connection (or a recovery conflict) is run again on the primary: reads are safe to repeat.
//
// The seam: `plugin` is one grafast prepareArgs middleware. After PostGraphile has put the
// primary's withPgClient and our pgSettings on the context, it swaps in the replica's for
// queries. The replica's withPgClient comes from the same pgService adaptor, so it sends the
// same transaction preamble (role, claims) as the primary's.
import { EventEmitter } from "node:events";
import type pg from "pg";
import client from "prom-client";
import type { PoolConfig, ReplicaConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { authenticatorUrl, AUTHENTICATOR_ROLE } from "./connect.ts";
import { createPool, type QueryLogConfig } from "./pools.ts";

type WithPgClient = (pgSettings: Record<string, string> | null, callback: (client: unknown) => Promise<unknown>) => Promise<unknown>;

export interface ReplicaState {
  usable: boolean;
  /** Why it is skipped ("down: ...", "lagging 1500 ms", "not a standby"); undefined when usable. */
  reason: string | undefined;
  lagMs: number | undefined;
}

export interface ReplicaRouter {
  pool: pg.Pool;
  plugin: GraphileConfig.Plugin;
  state(): ReplicaState;
  /** Emits "change" with the new ReplicaState whenever the replica becomes usable or skipped. */
  events: EventEmitter;
  /** Runs one health check now (the monitor also runs them every checkIntervalMs). */
  check(): Promise<ReplicaState>;
  close(): Promise<void>;
}

export interface ReplicaOptions {
  config: ReplicaConfig & { readUrl: string };
  pool: PoolConfig;
  /** Slow statements on the replica are logged like those on the primary. */
  queryLog: QueryLogConfig;
  authenticatorPassword: string | undefined;
  /** The API's pool on the primary: the monitor reads the primary's WAL position with it. */
  primary: pg.Pool;
  registry: client.Registry;
  log: Logger;
  now?: () => number;
}

/** The replica as the API connects to it: as spendgate_authenticator, like the primary. */
function replicaAuthUrl(readUrl: string, password: string | undefined): string {
  return new URL(readUrl).username === AUTHENTICATOR_ROLE ? readUrl : authenticatorUrl(readUrl, password);
}

/** Errors after which the same read may simply be run on the primary. */
function isReplicaFailure(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return true; // no SQLSTATE: the connection failed or timed out
  // 08: connection exception; 57P: server shutting down / cannot connect now; 40001: canceled on
  // the standby because of a conflict with recovery; E...: Node's socket errors (ECONNREFUSED).
  return code.startsWith("08") || code.startsWith("57P") || code === "40001" || code.startsWith("E");
}

function operationType(args: { document?: { definitions: readonly { kind: string; operation?: string; name?: { value: string } }[] }; operationName?: string | null }): string | undefined {
  const operations = args.document?.definitions.filter((d) => d.kind === "OperationDefinition") ?? [];
  const chosen = args.operationName ? operations.find((d) => d.name?.value === args.operationName) : operations.length === 1 ? operations[0] : undefined;
  return chosen?.operation;
}

export function createReplicaRouter({ config, pool: poolConfig, queryLog, authenticatorPassword, primary, registry, log, now = Date.now }: ReplicaOptions): ReplicaRouter {
  // A replica that does not answer must not hold requests for the primary pool's 30 s default.
  const pool = createPool(replicaAuthUrl(config.readUrl, authenticatorPassword), "replica", {
    ...poolConfig,
    connectionTimeoutMs: Math.min(poolConfig.connectionTimeoutMs, 2000),
  }, queryLog, log);
  const events = new EventEmitter();
  // Skipped until the first check says otherwise: no read goes to a replica nobody has looked at.
  let state: ReplicaState = { usable: false, reason: "not checked yet", lagMs: undefined };
  const lastWrite = new Map<string, number>();
  let replicaWithPgClient: WithPgClient | undefined;

  new client.Gauge({
    name: "spendgate_db_replica_usable",
    help: "1 while GraphQL queries may run on the read replica (DATABASE_READ_URL), 0 while it is skipped.",
    registers: [registry],
    collect() {
      this.set(state.usable ? 1 : 0);
    },
  });
  const routed = new client.Counter({
    name: "spendgate_db_operations_routed_total",
    help: "GraphQL operations by the database they ran on (primary or replica).",
    labelNames: ["target"],
    registers: [registry],
  });

  const setState = (next: ReplicaState) => {
    const changed = next.usable !== state.usable;
    state = next;
    if (!changed) return;
    if (next.usable) log.info({ lagMs: next.lagMs }, "read replica in use");
    else log.warn({ reason: next.reason }, "read replica skipped");
    events.emit("change", next);
  };

  const check = async (): Promise<ReplicaState> => {
    try {
      const { rows: [{ lsn }] } = await primary.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
      const { rows: [replica] } = await pool.query<{ standby: boolean; behind: string | null; since_replay_ms: string | null }>(
        `select pg_is_in_recovery() as standby, pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::text as behind,
                (extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::text as since_replay_ms`,
        [lsn],
      );
      if (!replica!.standby) setState({ usable: false, reason: "not a standby (promoted?)", lagMs: undefined });
      else {
        // Replayed everything the primary had written when asked: no lag. Otherwise the replica is
        // at least as stale as the time since it last replayed a transaction.
        const lagMs = Number(replica!.behind ?? 1) <= 0 ? 0 : Math.round(Number(replica!.since_replay_ms ?? Infinity));
        setState(lagMs <= config.maxLagMs ? { usable: true, reason: undefined, lagMs } : { usable: false, reason: `lagging ${lagMs} ms`, lagMs });
      }
    } catch (error) {
      setState({ usable: false, reason: `down: ${(error as Error).message}`, lagMs: undefined });
    }
    return state;
  };
  let checking: Promise<unknown> = check();
  const timer = setInterval(() => {
    checking = checking.then(check);
    for (const [caller, at] of lastWrite) if (now() - at >= config.readYourWritesMs) lastWrite.delete(caller);
  }, config.checkIntervalMs);
  timer.unref();

  const markDown = (error: unknown) => setState({ usable: false, reason: `down: ${(error as Error).message}`, lagMs: undefined });

  const plugin: GraphileConfig.Plugin = {
    name: "SpendgateReadReplicaPlugin",
    version: "1.0.0",
    description: "Runs GraphQL queries on the read replica (DATABASE_READ_URL) and mutations on the primary.",
    grafast: {
      middleware: {
        prepareArgs(next, event) {
          const route = (args: typeof event.args) => {
            const context = args.contextValue as unknown as Record<string, unknown>;
            const onPrimary = context.withPgClient as WithPgClient;
            const caller = (context.pgSettings as Record<string, string> | undefined)?.["jwt.claims.user_id"] || undefined;
            if (operationType(args as never) !== "query") {
              // A write: this caller reads from the primary until the window after it has passed.
              if (caller) lastWrite.set(caller, now());
              context.withPgClient = (async (settings, callback) => {
                try {
                  return await onPrimary(settings, callback);
                } finally {
                  if (caller) lastWrite.set(caller, now());
                }
              }) satisfies WithPgClient;
              routed.inc({ target: "primary" });
              return args;
            }
            const wrote = caller === undefined ? undefined : lastWrite.get(caller);
            if (!state.usable || (wrote !== undefined && now() - wrote < config.readYourWritesMs)) {
              routed.inc({ target: "primary" });
              return args;
            }
            const service = args.resolvedPreset?.pgServices?.[0] as { adaptor: { createWithPgClient(settings: { pool: pg.Pool }): WithPgClient } } | undefined;
            replicaWithPgClient ??= service!.adaptor.createWithPgClient({ pool });
            const onReplica = replicaWithPgClient;
            context.withPgClient = (async (settings, callback) => {
              try {
                return await onReplica(settings, callback);
              } catch (error) {
                if (!isReplicaFailure(error)) throw error;
                markDown(error);
                return onPrimary(settings, callback);
              }
            }) satisfies WithPgClient;
            routed.inc({ target: "replica" });
            return args;
          };
          const prepared = next() as unknown;
          return (typeof (prepared as PromiseLike<unknown> | undefined)?.then === "function"
            ? (prepared as PromiseLike<unknown>).then(() => route(event.args))
            : route(event.args)) as never;
        },
      },
    },
  };

  return {
    pool,
    plugin,
    events,
    state: () => state,
    check: () => (checking = checking.then(check)).then(() => state),
    async close() {
      clearInterval(timer);
      await checking.catch(() => undefined);
      await pool.end();
    },
  };
}
