// The spend rollups stay exact whatever happens to requests (issue 15 part 7): a property-style
// run with a fixed seed applies random inserts, settlements, cost corrections, key changes, soft
// deletes, restores, hard deletes and rolled-back transactions as the owner, and after every
// batch app_public.spend_rollup_discrepancies() must find nothing. Concurrent settlements on the
// same rollup rows must not lose an update. The client-facing flow is test/api/spend-rollups.test.ts.
// The tests run one after another: the discrepancy check reads the whole database, and the
// rebuild test breaks a rollup row on purpose.
import test from "ava";
import type pg from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createProject, createUser } from "../helpers/fixtures.ts";

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.drop();
});

/** mulberry32: a small seeded generator, so a failure replays exactly. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

async function discrepancies(): Promise<unknown[]> {
  return (await db.ownerPool.query("select * from app_public.spend_rollup_discrepancies()")).rows;
}

test.serial("after every batch of random operations on requests, both rollups equal the sums over requests", async (t) => {
  const next = random(20261130);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const cost = () => (Math.floor(next() * 1_000_000) / 100_000).toFixed(5);
  const users: { id: string; projects: (string | null)[] }[] = [];
  for (let i = 0; i < 4; i++) {
    const id = await createUser(db.ownerPool);
    users.push({ id, projects: [null, await createProject(db.ownerPool, id), await createProject(db.ownerPool, id)] });
  }
  const agents = ["a", "b", null] as const;
  const providers = ["openai", "anthropic", null] as const;
  const models = ["small", "large"] as const;
  // Only this test's requests: the file's other tests run at the same time on the same database.
  const ids = async (client: pg.PoolClient, where = "true") =>
    (await client.query<{ request_id: string }>(`select request_id from app_public.requests where user_id = any($1) and ${where}`, [users.map((user) => user.id)])).rows.map((r) => r.request_id);

  const operations: Record<string, (client: pg.PoolClient) => Promise<unknown>> = {
    async insert(client) {
      const user = pick(users);
      const status = pick(["approved", "executed", "executed", "cancelled"]);
      await client.query(
        `insert into app_public.requests (user_id, project_id, agent_id, api_provider, model_name, status, estimated_cost, actual_cost, created_at)
         values ($1, $2, $3, $4, $5, $6, 1, $7, now() - $8 * interval '1 hour')`,
        [user.id, pick(user.projects), pick(agents), pick(providers), pick(models), status,
          status === "approved" ? null : pick([cost(), cost(), null]), Math.floor(next() * 24 * 5)],
      );
    },
    async settle(client) {
      const id = pick(await ids(client, "status = 'approved'"));
      if (id) await client.query("update app_public.requests set status = 'executed', actual_cost = $2 where request_id = $1", [id, cost()]);
    },
    async cancel(client) {
      const id = pick(await ids(client, "status = 'approved'"));
      if (id) await client.query("update app_public.requests set status = 'cancelled', actual_cost = $2 where request_id = $1", [id, pick([null, cost()])]);
    },
    async correct(client) {
      const id = pick(await ids(client, "status <> 'approved'"));
      if (id) await client.query("update app_public.requests set actual_cost = $2 where request_id = $1", [id, pick([cost(), null])]);
    },
    async rekey(client) {
      const id = pick(await ids(client));
      if (id) await client.query("update app_public.requests set agent_id = $2, api_provider = $3, model_name = $4 where request_id = $1", [id, pick(agents), pick(providers), pick(models)]);
    },
    async softDelete(client) {
      const id = pick(await ids(client, "deleted_at is null"));
      if (id) await client.query("update app_public.requests set deleted_at = now() where request_id = $1", [id]);
    },
    async restore(client) {
      const id = pick(await ids(client, "deleted_at is not null"));
      if (id) await client.query("update app_public.requests set deleted_at = null where request_id = $1", [id]);
    },
    async hardDelete(client) {
      const id = pick(await ids(client));
      if (id) await client.query("delete from app_public.requests where request_id = $1", [id]);
    },
  };
  const weighted = ["insert", "insert", "insert", "insert", "settle", "settle", "cancel", "correct", "rekey", "softDelete", "restore", "hardDelete"];

  const client = await db.ownerPool.connect();
  try {
    for (let batch = 0; batch < 30; batch++) {
      const rollBack = next() < 0.15;
      await client.query("begin");
      for (let i = 0; i < 8; i++) await operations[pick(weighted)]!(client);
      await client.query(rollBack ? "rollback" : "commit");
      t.deepEqual(await discrepancies(), [], `batch ${batch}${rollBack ? " (rolled back)" : ""}`);
    }
  } finally {
    client.release();
  }
  const { rows: [counts] } = await db.ownerPool.query(
    `select (select count(*) from app_public.requests where actual_cost is not null and deleted_at is null)::int as settled,
            (select count(*) from app_public.daily_spend)::int as daily_rows,
            (select count(*) from app_public.platform_daily_spend where settled_requests = 0)::int as empty_rows`,
  );
  t.true(counts.settled >= 10 && counts.daily_rows >= 5, `the run exercised the rollups (${JSON.stringify(counts)})`);
  t.is(counts.empty_rows, 0, "rows left at zero requests are deleted");
});

test.serial("concurrent settlements of the same day, provider and model lose no update", async (t) => {
  const users = await Promise.all(Array.from({ length: 8 }, () => createUser(db.ownerPool)));
  await Promise.all(users.map(async (user) => {
    for (let i = 0; i < 10; i++) {
      await db.ownerPool.query(
        `insert into app_public.requests (user_id, api_provider, model_name, status, estimated_cost, actual_cost, created_at)
         values ($1, 'concurrent', 'm', 'executed', 1, 0.1, '2026-01-01T12:00:00Z')`,
        [user],
      );
    }
  }));
  const { rows } = await db.ownerPool.query(
    "select sum(settled_requests)::int as n, sum(actual_cost)::text as cost from app_public.platform_daily_spend where api_provider = 'concurrent'",
  );
  t.deepEqual(rows, [{ n: 80, cost: "8.00000000" }]);
  t.deepEqual(await discrepancies(), []);
});

test.serial("the backfill (rebuild) recomputes both rollups from requests", async (t) => {
  const user = await createUser(db.ownerPool);
  await db.ownerPool.query(
    "insert into app_public.requests (user_id, api_provider, model_name, status, estimated_cost, actual_cost) values ($1, 'rebuilt', 'm', 'executed', 1, 3)",
    [user],
  );
  await db.ownerPool.query("delete from app_public.daily_spend where user_id = $1", [user]);
  t.is((await discrepancies()).length, 1, "the check sees the missing row");
  await db.ownerPool.query("select app_private.rebuild_spend_rollups()");
  t.deepEqual(await discrepancies(), []);
});
