// The API's database access (src/graphql/withPgClient.ts): a request's settings and its query in
// one round trip, settings that never outlive their transaction, transactions that commit or roll
// back as a whole, and prepared statements that survive errors. Round trips are counted as the
// ReadyForQuery messages the server sends (one per Sync).
import test from "ava";
import pg from "pg";
import { makeWithPgClient } from "../../src/graphql/withPgClient.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createUser, fakeHash } from "../helpers/fixtures.ts";

let db: TestDatabase;
let pool: pg.Pool;
const withPgClient = () => makeWithPgClient(pool);
const USER_ID = "8d1a3c52-3f1e-4bde-9a77-2f6d0c1a0b01";
const settings = { role: "spendgate_user", "jwt.claims.user_id": USER_ID, statement_timeout: "5000" };
const SHOW = "select current_user::text as role, current_setting('jwt.claims.user_id', true) as user_id, current_setting('statement_timeout') as timeout";

test.before(async () => {
  db = await createTestDatabase();
  // One connection, so every call below reuses the same session.
  pool = new pg.Pool({ connectionString: db.authUrl, max: 1 });
});
test.after.always(async () => {
  await pool?.end();
  await db?.drop();
});

/** Runs `fn` on the pool's one connection, counting the server's ReadyForQuery messages meanwhile. */
async function countRoundTrips<T>(fn: () => Promise<T>): Promise<{ result: T; roundTrips: number }> {
  const client = await pool.connect();
  const connection = (client as unknown as { connection: import("node:events").EventEmitter }).connection;
  client.release();
  let roundTrips = 0;
  const count = () => roundTrips++;
  connection.on("readyForQuery", count);
  try {
    return { result: await fn(), roundTrips };
  } finally {
    connection.removeListener("readyForQuery", count);
  }
}

test.serial("a read runs its settings and query in one round trip, and the settings end with it", async (t) => {
  const run = withPgClient();
  await run(null, (client) => client.query({ text: "select 1" })); // the connection's one-off set-up
  const { result, roundTrips } = await countRoundTrips(() => run(settings, (client) => client.query<{ role: string; user_id: string; timeout: string }>({ text: SHOW })));
  t.deepEqual(result.rows, [{ role: "spendgate_user", user_id: USER_ID, timeout: "5s" }]);
  t.is(roundTrips, 1);
  const after = await run(null, (client) => client.query<{ role: string; user_id: string }>({ text: SHOW }));
  t.is(after.rows[0]!.role, "spendgate_authenticator");
  t.falsy(after.rows[0]!.user_id);
});

test.serial("a prepared read takes one round trip too, in array mode as @dataplan/pg asks", async (t) => {
  const run = withPgClient();
  const query = { text: "select $1::int + 1 as n, current_user::text", values: [41], name: "test_prepared_read", arrayMode: true };
  await run(settings, (client) => client.query(query));
  const { result, roundTrips } = await countRoundTrips(() => run(settings, (client) => client.query(query)));
  t.deepEqual(result.rows, [[42, "spendgate_user"]]);
  t.is(roundTrips, 1);
});

test.serial("a failing statement fails the request and leaves the connection and its prepared statements usable", async (t) => {
  const run = withPgClient();
  const broken = { text: "select * from no_such_table", name: "test_broken" };
  await t.throwsAsync(() => run(settings, (client) => client.query(broken)), { message: /no_such_table/ });
  await t.throwsAsync(() => run(settings, (client) => client.query(broken)), { message: /no_such_table/ });
  const invalidValue = { text: "select $1::uuid as id", values: ["not a uuid"], name: "test_bind_error" };
  await t.throwsAsync(() => run(settings, (client) => client.query(invalidValue)), { message: /uuid/ });
  const valid = await run(settings, (client) => client.query<{ id: string }>({ ...invalidValue, values: [USER_ID] }));
  t.is(valid.rows[0]!.id, USER_ID);
  const settingRefused = await t.throwsAsync(() => run({ role: "postgres" }, (client) => client.query({ text: "select 1" })));
  t.regex(settingRefused!.message, /permission denied|must be member/);
  const after = await run(null, (client) => client.query<{ role: string }>({ text: SHOW }));
  t.is(after.rows[0]!.role, "spendgate_authenticator");
});

test.serial("a transaction sends begin with its first statement, shares one transaction and commits once", async (t) => {
  const run = withPgClient();
  const { result, roundTrips } = await countRoundTrips(() =>
    run(settings, (client) =>
      client.withTransaction(async (tx) => {
        const first = await tx.query<{ xid: string; user_id: string }>({ text: "select pg_current_xact_id()::text as xid, current_setting('jwt.claims.user_id') as user_id" });
        const second = await tx.query<{ xid: string }>({ text: "select pg_current_xact_id()::text as xid" });
        return [first.rows[0]!, second.rows[0]!] as const;
      }),
    ),
  );
  t.is(result[0].xid, result[1].xid);
  t.is(result[0].user_id, USER_ID);
  t.is(roundTrips, 3); // begin + settings + first statement, the second statement, commit
  const empty = await countRoundTrips(() => run(settings, (client) => client.withTransaction(async () => "nothing")));
  t.is(empty.roundTrips, 0);
});

test.serial("a transaction that fails rolls back everything it did, nested savepoints included", async (t) => {
  const run = withPgClient();
  const owner = await db.ownerPool.query("create table if not exists test_tx (n int); grant insert, select on test_tx to spendgate_user");
  t.truthy(owner);
  await t.throwsAsync(() =>
    run(settings, (client) =>
      client.withTransaction(async (tx) => {
        await tx.query({ text: "insert into test_tx values (1)" });
        await tx.withTransaction(async (inner) => inner.query({ text: "insert into test_tx values (2)" }));
        throw new Error("abort");
      }),
    ),
  );
  await run(settings, (client) =>
    client.withTransaction(async (tx) => {
      await tx.query({ text: "insert into test_tx values (3)" });
      await t.throwsAsync(() => tx.withTransaction(async (inner) => inner.query({ text: "insert into test_tx values ('x')" })));
    }),
  );
  const { rows } = await db.ownerPool.query("select n from test_tx order by n");
  t.deepEqual(rows, [{ n: 3 }]);
});

test.serial("a transaction that changes someone's credentials names the user after it commits, and not when it rolls back", async (t) => {
  const userId = await createUser(db.ownerPool);
  const session = async () => (await db.ownerPool.query<{ id: string }>("select app_private.create_session($1, $2, '1 day') as id", [userId, fakeHash()])).rows[0]!.id;
  const told: string[] = [];
  // Told a moment later (as a Redis deletion would be): the assertions after each run() show that
  // the run waits for it, so the answer of a request cannot leave before the cache has forgotten.
  const run = makeWithPgClient(pool, (changed) => new Promise<void>((resolve) => setImmediate(() => resolve(void told.push(changed)))));
  const asUser = (sessionId: string) => ({ role: "spendgate_user", "jwt.claims.role": "user", "jwt.claims.user_id": userId, "jwt.claims.session_id": sessionId });

  const rolledBack = await session();
  await t.throwsAsync(
    run(asUser(rolledBack), (client) =>
      client.withTransaction(async (tx) => {
        await tx.query({ text: "select app_public.logout()" });
        t.deepEqual(told, [], "nothing is told before the commit");
        throw new Error("the mutation fails after logging out");
      }),
    ),
    { message: "the mutation fails after logging out" },
  );
  t.deepEqual(told, []);

  await run(asUser(await session()), (client) => client.withTransaction((tx) => tx.query({ text: "select app_public.logout()" })));
  t.deepEqual(told, [userId]);
  await run(asUser(await session()), (client) => client.query({ text: "select app_public.logout()" }));
  t.deepEqual(told, [userId, userId], "a statement outside a transaction has committed when it returns");
});
