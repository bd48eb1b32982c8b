// A catalog fingerprint: everything migrations and definition files can add to a database, as
// sorted lines, compared by meaning and by definition, not only by name. Used to prove that a
// down removes exactly what its up added, and that applying the definitions again changes nothing.
// Roles are cluster-wide and deliberately left out, as are the runner's own bookkeeping tables
// (db-migrate's `migrations`, our `sql_definitions`). Privileges are compared by meaning: a null
// ACL and an explicit ACL equal to the default are the same.
import type pg from "pg";

const FINGERPRINT = `
with ns as (
  select oid, nspname from pg_namespace
   where nspname not like 'pg\\_%' and nspname <> 'information_schema'
), bookkeeping as (
  select c.oid from pg_class c where c.relnamespace = 'public'::regnamespace
     and (c.relname like 'migrations%' or c.relname like 'sql\\_definitions%')
), lines as (
  select 'schema ' || nspname || ' ' || (select coalesce(nspacl, acldefault('n', nspowner))::text from pg_namespace p where p.oid = ns.oid)
         || ' ' || coalesce(obj_description(ns.oid, 'pg_namespace'), '') as line from ns
  union all select 'extension ' || extname || ' ' || extnamespace::regnamespace::text from pg_extension
  union all select 'class ' || c.oid::regclass::text || ' ' || c.relkind::text || ' rls=' || c.relrowsecurity || ' ' || coalesce(c.relacl, acldefault('r', c.relowner))::text
              || ' ' || coalesce(obj_description(c.oid, 'pg_class'), '')
              || case when c.relkind in ('v', 'm') then ' ' || pg_get_viewdef(c.oid) else '' end
              || case when c.relkind = 'i' then ' ' || pg_get_indexdef(c.oid) else '' end
    from pg_class c join ns on ns.oid = c.relnamespace where c.oid not in (select oid from bookkeeping)
  union all select 'column ' || c.oid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
              || ' notnull=' || a.attnotnull || ' ' || coalesce(a.attacl::text, '') || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
              || ' ' || coalesce(col_description(c.oid, a.attnum), '')
    from pg_attribute a join pg_class c on c.oid = a.attrelid join ns on ns.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
   where a.attnum > 0 and not a.attisdropped and c.oid not in (select oid from bookkeeping)
  union all select 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    from pg_constraint where connamespace in (select oid from ns) and conrelid not in (select oid from bookkeeping)
  union all select 'type ' || t.oid::regtype::text || ' ' || coalesce(obj_description(t.oid, 'pg_type'), '')
    from pg_type t join ns on ns.oid = t.typnamespace
   where t.typname not like '%migrations' and t.typname not like '%sql\\_definitions'
  union all select 'enum ' || enumtypid::regtype::text || ' ' || enumsortorder || ' ' || enumlabel from pg_enum
  union all select 'function ' || p.oid::regprocedure::text || ' ' || coalesce(p.proacl, acldefault('f', p.proowner))::text
              || ' ' || coalesce(obj_description(p.oid, 'pg_proc'), '')
              || ' ' || case when p.prokind = 'a' then md5(p.prosrc) else pg_get_functiondef(p.oid) end
    from pg_proc p join ns on ns.oid = p.pronamespace
   where not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')
  union all select 'policy ' || polrelid::regclass::text || ' ' || polname
              || ' cmd=' || polcmd::text || ' permissive=' || polpermissive
              || ' roles=' || (select coalesce(array_agg(case r when 0 then 'public' else r::regrole::text end order by 1), '{}')::text from unnest(polroles) r)
              || ' using=' || coalesce(pg_get_expr(polqual, polrelid), '')
              || ' check=' || coalesce(pg_get_expr(polwithcheck, polrelid), '')
    from pg_policy
  union all select 'trigger ' || tgrelid::regclass::text || ' ' || pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
  union all select 'event trigger ' || evtname from pg_event_trigger
  union all select 'default acl ' || defaclacl::text from pg_default_acl
)
select coalesce(array_agg(line order by line), '{}') as lines from lines`;

export async function catalogFingerprint(pool: pg.Pool | pg.ClientBase): Promise<string[]> {
  return (await pool.query(FINGERPRINT)).rows[0].lines;
}
