// ColumnPrivilegesPlugin reads who may write which column from the grants PostGraphile
// introspects; this checks its reading against PostgreSQL itself (has_column_privilege) for every
// column of every exposed table and every API role, so that a grant the ACL resolution gets
// wrong (inheritance, table-level grants) cannot let SGCOL refuse a legal write or wave through
// an illegal one. The HTTP behaviour is covered in test/api/inputs.test.ts.
import test from "ava";
import { resolvePreset } from "graphile-config";
import pg from "pg";
import { gather } from "postgraphile/graphile-build";
import { API_ROLES } from "../../src/auth/identity.ts";
import { loadConfigSections } from "../../src/config.ts";
import { loadPlugins } from "../../src/graphql/plugins.ts";
import { makePreset } from "../../src/graphql/preset.ts";
import { createLogger } from "../../src/logger.ts";
import { createTestDatabase } from "../helpers/database.ts";

test("every column's writers match has_column_privilege for each API role, insert and update", async (t) => {
  const db = await createTestDatabase();
  const authPool = new pg.Pool({ connectionString: db.authUrl, max: 2 });
  try {
    const { graphql } = loadConfigSections(["graphql"], { NODE_ENV: "test" });
    const preset = makePreset({ graphql, isProduction: false, authPool, plugins: await loadPlugins(), log: createLogger("silent") });
    const input = await gather(resolvePreset(preset));
    const fromPlugin: string[] = [];
    for (const resource of Object.values(input.pgRegistry.pgResources) as any[]) {
      const table = resource.codec.extensions?.pg;
      if (resource.parameters || !table || table.schemaName !== "app_public" || !resource.codec.attributes) continue;
      for (const [column, attribute] of Object.entries(resource.codec.attributes) as [string, any][]) {
        for (const operation of ["insert", "update"] as const) {
          for (const role of attribute.extensions?.writableBy?.[operation] ?? []) fromPlugin.push(`${table.name}.${column} ${operation} ${role}`);
        }
      }
    }
    const { rows } = await db.ownerPool.query<{ line: string }>(
      `select c.relname || '.' || a.attname || ' ' || op || ' ' || r as line
         from pg_class c
         join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         cross join unnest($1::text[]) r
         cross join unnest(array['insert', 'update']) op
        where c.relnamespace = 'app_public'::regnamespace and c.relkind in ('r', 'p', 'v')
          and has_column_privilege(r, c.oid, a.attnum, op)`,
      [[...API_ROLES]],
    );
    t.true(rows.length > 50, `writable (column, role) pairs: ${rows.length}`);
    t.deepEqual(fromPlugin.sort(), rows.map((row) => row.line).sort());
  } finally {
    await authPool.end();
    await db.drop();
  }
});
