// The SQL layout rule (CONVENTIONS.md, "What goes where"): every function, view and trigger of
// the database is defined by exactly one file of sql/, and no migration defines one. So the
// current definition of each is readable in one place, and changing it is a diff of that file.
import test from "ava";
import fs from "node:fs";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { DEFINITIONS_DIR, MIGRATIONS_DIR } from "../../src/database/migrate.ts";
import { splitStatements } from "../../src/database/sqlStatements.ts";

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.drop();
});

test("every function, view and trigger of ours is recorded as defined by exactly one file of sql/", async (t) => {
  // Identities spelled as the runner records them (search_path = pg_catalog: every other schema named).
  const client = await db.ownerPool.connect();
  const catalog = await client
    .query("set search_path = pg_catalog")
    .then(() => client.query<{ object: string }>(`
    select 'function ' || p.oid::regprocedure::text as object
      from pg_proc p
     where p.pronamespace in ('app_public'::regnamespace, 'app_private'::regnamespace)
       and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')
    union all
    select 'view ' || c.oid::regclass::text from pg_class c
     where c.relkind in ('v', 'm') and c.relnamespace in ('app_public'::regnamespace, 'app_private'::regnamespace)
    union all
    select format('trigger %I on %s', t.tgname, t.tgrelid::regclass) from pg_trigger t
      join pg_class c on c.oid = t.tgrelid
     where not t.tgisinternal and c.relnamespace in ('app_public'::regnamespace, 'app_private'::regnamespace)
    order by 1`))
    .then((result) => result.rows)
    .finally(() => client.query("reset search_path").then(() => client.release()));
  const { rows: records } = await db.ownerPool.query<{ file: string; object: string }>(
    "select file, unnest(objects) as object from public.sql_definitions order by 2",
  );
  t.true(catalog.length > 50);
  t.deepEqual(
    catalog.map((row) => row.object).filter((object) => !records.some((record) => record.object === object)),
    [],
    "defined by no file of sql/",
  );
  const seen = new Map<string, string>();
  for (const { file, object } of records) {
    t.is(seen.get(object), undefined, `${object} is recorded for ${seen.get(object)} and ${file}`);
    seen.set(object, file);
  }
});

test("no migration creates, replaces or drops a function, view or trigger", (t) => {
  const sqls = path.join(MIGRATIONS_DIR, "sqls");
  const offending = fs
    .readdirSync(sqls)
    .flatMap((file) =>
      splitStatements(fs.readFileSync(path.join(sqls, file), "utf8"))
        .filter((statement) => /^(create(\s+or\s+replace)?|drop)\s+(function|procedure|view|materialized\s+view|trigger)\b/i.test(statement.text))
        .map((statement) => `${file}:${statement.line}: ${statement.text.split("\n", 1)[0]}`),
    );
  t.deepEqual(offending, [], "functions, views and triggers belong in sql/");
});

test("every definition file opens with its `-- after:` header and a `-- Why:` comment", (t) => {
  const files = fs.readdirSync(DEFINITIONS_DIR).filter((file) => file.endsWith(".sql"));
  t.true(files.length > 20);
  for (const file of files) {
    const [first, second] = fs.readFileSync(path.join(DEFINITIONS_DIR, file), "utf8").split("\n");
    t.regex(first!, /^-- after: \d{14}-[a-z0-9-]+$/, file);
    t.regex(second!, /^-- Why: /, file);
  }
});
