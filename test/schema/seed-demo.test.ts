// Demo data (issue 3 item 10): sql/seeds/demo.sql loads against the migrated schema, is idempotent,
// and gives users of each role and tier who can log in with the documented password.
import test from "ava";
import fs from "node:fs";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { PROJECT_ROOT } from "../../src/projectRoot.ts";

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.drop();
});

const seed = fs.readFileSync(path.join(PROJECT_ROOT, "sql", "seeds", "demo.sql"), "utf8");

const counts = async () =>
  (await db.ownerPool.query(
    `select (select count(*) from app_public.users)::int as users, (select count(*) from app_public.projects)::int as projects,
            (select count(*) from app_public.budgets)::int as budgets, (select count(*) from app_public.policies)::int as policies,
            (select count(*) from app_public.requests)::int as requests, (select count(*) from app_public.payments)::int as payments`,
  )).rows[0];

test("the demo data loads, and loading it again changes nothing", async (t) => {
  await db.ownerPool.query(seed);
  const first = await counts();
  t.true(first.users >= 6 && first.projects >= 3 && first.budgets >= 3 && first.policies >= 3 && first.requests >= 5 && first.payments >= 3);
  await db.ownerPool.query(seed);
  t.deepEqual(await counts(), first);

  const { rows } = await db.ownerPool.query(
    `select array_agg(distinct role::text order by role::text) as roles, array_agg(distinct tier::text order by tier::text) as tiers,
            bool_and(password_hash = public.crypt('password123', password_hash)) as password_works
       from app_public.users`,
  );
  t.deepEqual(rows[0], { roles: ["admin", "operator", "user"], tiers: ["enterprise", "free", "pro"], password_works: true });
});
