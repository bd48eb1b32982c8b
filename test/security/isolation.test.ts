// Cross-user isolation through HTTP, generic over the schema: the tables, their connections,
// lookups, relations, aggregates and mutations are read from introspection (as admin) and the
// catalog, so a new table or mutation is covered without touching this file (and the suite fails
// when the fixtures hold no rows for it). Alice (user) must never reach another user's row.
import test from "ava";
import {
  ADMIN,
  ALICE,
  BOB,
  OPS,
  PLATFORM_TABLES,
  checksums,
  expectedKeys,
  isRequired,
  keyOf,
  leaks,
  loadModel,
  named,
  visibleWhere,
  type ApiModel,
  type Field,
  type Harness,
  type TableModel,
  type TypeRef,
  startHarness,
} from "./harness.ts";

let h: Harness;
let model: ApiModel;
/** Every row of every table as admin with X-Include-Deleted (all scalar fields). */
const allRows = new Map<string, Record<string, any>[]>();

test.before(async () => {
  // Nested-relation queries below are deeper and wider than the production defaults allow.
  h = await startHarness({ GRAPHQL_MAX_DEPTH: "20", GRAPHQL_MAX_FIELDS: "20000" });
  model = await loadModel(h.gateway, h.db.ownerPool);
  const headers = { ...(await h.gateway.as(ADMIN, "admin")), "x-include-deleted": "true" };
  for (const table of model.tables) {
    const response = await h.gateway.graphql(`{ ${table.connection} { nodes { ${table.scalarFields.join(" ")} } } }`, {}, headers);
    if (response.body.errors) throw new Error(`admin read of ${table.connection} failed: ${JSON.stringify(response.body.errors)}`);
    allRows.set(table.typeName, response.body.data[table.connection].nodes);
  }
});
test.after.always(async () => {
  await h?.gateway.close();
  await h?.db.drop();
});

const as = (userId: string, role: "user" | "operator" | "admin" = "user") => h.gateway.as(userId, role);
const ownerOf = (node: Record<string, any>) => node.userId as string | undefined;
const lcfirst = (s: string) => s[0]!.toLowerCase() + s.slice(1);
/** The tables users may read (their own rows); platform-wide ones are refused to them (tested below). */
const userTables = () => model.tables.filter((table) => !PLATFORM_TABLES.has(table.table));

test.serial("every app_public table is exposed with a connection, and the fixtures hold live and soft-deleted rows of alice and bob in each", async (t) => {
  t.deepEqual(model.unexposed, [], "tables without a root connection: decide whether the API should offer them");
  t.true(model.tables.length >= 13);
  const missing: string[] = [];
  for (const table of model.tables) {
    // A platform table has no owner: live and deleted rows are enough there.
    const owned = (who: number) => (PLATFORM_TABLES.has(table.table) ? "true" : `user_id = $${who}`);
    const { rows } = await h.db.ownerPool.query(
      `select count(*) filter (where ${owned(1)} and deleted_at is null)::int as alice_live,
              count(*) filter (where ${owned(2)} and deleted_at is null)::int as bob_live,
              count(*) filter (where deleted_at is not null)::int as deleted
         from app_public.${table.table}`,
      PLATFORM_TABLES.has(table.table) ? [] : [ALICE, BOB],
    );
    const { alice_live, bob_live, deleted } = rows[0];
    if (!alice_live || !bob_live || !deleted) missing.push(`${table.table}: alice ${alice_live}, bob ${bob_live}, deleted ${deleted}`);
    // The admin read above saw every row, so lookups below cover the whole table.
    const { rows: total } = await h.db.ownerPool.query(`select count(*)::int as n from app_public.${table.table}`);
    t.is(allRows.get(table.typeName)!.length, total[0].n, `${table.connection}: admin with X-Include-Deleted sees every row`);
  }
  t.deepEqual(missing, [], "add rows to test/security/fixtures.sql");
});

test.serial("alice reads through every root connection exactly her own visible rows, with every scalar field and a matching totalCount", async (t) => {
  for (const table of userTables()) {
    const response = await h.gateway.graphql(`{ ${table.connection} { totalCount nodes { ${table.scalarFields.join(" ")} } } }`, {}, await as(ALICE));
    t.is(response.status, 200, table.connection);
    t.is(response.body.errors, undefined, `${table.connection}: ${JSON.stringify(response.body.errors)}`);
    const { totalCount, nodes } = response.body.data[table.connection];
    const expected = await expectedKeys(h.db.ownerPool, table, { kind: "user", userId: ALICE });
    if (!PLATFORM_TABLES.has(table.table)) t.true(expected.length > 0, `${table.table}: alice has visible rows`);
    t.deepEqual(nodes.map((node: any) => keyOf(table, node)).sort(), expected, `${table.connection}: exactly alice's rows`);
    t.is(totalCount, expected.length, `${table.connection}: totalCount`);
    for (const node of nodes) t.is(ownerOf(node), ALICE, `${table.connection}: row ${keyOf(table, node)} belongs to alice`);
  }
});

test.serial("another user's rows (live or soft-deleted) are null for alice by node(id:), by <type>ById and by primary-key lookup; her own live rows are found", async (t) => {
  let foreign = 0;
  for (const table of userTables()) {
    const visible = new Set(await expectedKeys(h.db.ownerPool, table, { kind: "user", userId: ALICE }));
    const pkArgs = table.pk.map((pk, i) => `${pk.field}: $k${i}`).join(", ");
    const varDefs = table.pk.map((pk, i) => {
      const arg = model.query.fields!.find((f) => f.name === table.lookup)!.args.find((a) => a.name === pk.field)!;
      return `$k${i}: ${typeString(arg.type)}`;
    });
    const query = `query(${["$id: ID!", ...varDefs].join(", ")}) {
      node(id: $id) { id } byId: ${table.byId}(id: $id) { id } lookup: ${table.lookup}(${pkArgs}) { id } }`;
    for (const row of allRows.get(table.typeName)!) {
      const variables = Object.fromEntries([["id", row.id], ...table.pk.map((pk, i) => [`k${i}`, row[pk.field]])]);
      const response = await h.gateway.graphql(query, variables, await as(ALICE));
      t.is(response.status, 200);
      t.is(response.body.errors, undefined, JSON.stringify(response.body.errors));
      if (visible.has(keyOf(table, row))) {
        t.deepEqual(response.body.data, { node: { id: row.id }, byId: { id: row.id }, lookup: { id: row.id } }, `${table.typeName} ${keyOf(table, row)} is alice's`);
      } else {
        if (row.userId !== ALICE) foreign++;
        t.deepEqual(response.body.data, { node: null, byId: null, lookup: null }, `${table.typeName} ${keyOf(table, row)} (owner ${row.userId}, deleted ${row.deletedAt})`);
      }
    }
  }
  t.true(foreign >= model.tables.length * 2);
});

function typeString(ref: TypeRef): string {
  if (ref.kind === "NON_NULL") return `${typeString(ref.ofType!)}!`;
  if (ref.kind === "LIST") return `[${typeString(ref.ofType!)}]`;
  return ref.name!;
}

/** Selection of a table type two relation levels deep: ids and owners everywhere. */
function selection(typeName: string, depth: number): string {
  const table = model.byType.get(typeName)!;
  const own = table.scalarFields.includes("userId") ? "userId" : "";
  const nested =
    depth === 0
      ? ""
      : table.relations
          .map((relation) =>
            relation.connection
              ? `${relation.field} { totalCount nodes { ${selection(relation.typeName, depth - 1)} } }`
              : `${relation.field} { ${selection(relation.typeName, depth - 1)} }`,
          )
          .join(" ");
  return `__typename id ${own} ${nested}`;
}

test.serial("nested relations from alice's own rows (two levels, both directions) never reach another user's row", async (t) => {
  const visibleIds = new Set<string>();
  for (const table of model.tables) {
    const keys = new Set(await expectedKeys(h.db.ownerPool, table, { kind: "user", userId: ALICE }));
    for (const row of allRows.get(table.typeName)!) if (keys.has(keyOf(table, row))) visibleIds.add(row.id);
  }
  let nestedSeen = 0;
  const relationsWalked = new Set<string>();
  for (const table of userTables()) {
    const response = await h.gateway.graphql(`{ ${table.connection} { nodes { ${selection(table.typeName, 2)} } } }`, {}, await as(ALICE));
    t.is(response.status, 200);
    t.is(response.body.errors, undefined, `${table.connection}: ${JSON.stringify(response.body.errors)}`);
    const walk = (value: any, path: string, via: string) => {
      if (Array.isArray(value)) return value.forEach((item, i) => walk(item, `${path}[${i}]`, via));
      if (!value || typeof value !== "object") return;
      if (typeof value.__typename === "string" && model.byType.has(value.__typename)) {
        t.true(visibleIds.has(value.id), `${path}: ${value.__typename} ${value.id} is not one of alice's visible rows`);
        if ("userId" in value) t.is(value.userId, ALICE, path);
        nestedSeen++;
        relationsWalked.add(via);
      }
      if (Array.isArray(value.nodes) && "totalCount" in value) t.is(value.totalCount, value.nodes.length, `${path}: totalCount counts only visible rows`);
      for (const [key, child] of Object.entries(value)) if (typeof child === "object") walk(child, `${path}.${key}`, key === "nodes" ? via : key);
    };
    for (const [i, node] of response.body.data[table.connection].nodes.entries()) {
      for (const relation of model.byType.get(table.typeName)!.relations) walk(node[relation.field], `${table.connection}[${i}].${relation.field}`, relation.field);
    }
  }
  // Non-vacuous: the example of the brief (projects -> user -> apiKeys) and many others were reached.
  t.true(nestedSeen > 100, `nested rows seen: ${nestedSeen}`);
  t.true(relationsWalked.size >= 10, `relations walked: ${[...relationsWalked].join(", ")}`);
});

test.serial("aggregates and groupedAggregates count and sum only alice's visible rows", async (t) => {
  let checked = 0;
  for (const table of userTables()) {
    const aggregatesField = table.connectionType.fields!.find((f) => f.name === "aggregates");
    const groupedField = table.connectionType.fields!.find((f) => f.name === "groupedAggregates");
    if (!aggregatesField && !groupedField) continue;
    checked++;
    const { where, params } = visibleWhere(table, { kind: "user", userId: ALICE });
    const pkField = table.pk[0]!.field;
    const aggregatesType = aggregatesField ? model.types.get(named(aggregatesField.type).name!)! : undefined;
    const sumType = aggregatesType?.fields!.find((f) => f.name === "sum");
    const sumFields = sumType ? model.types.get(named(sumType.type).name!)!.fields!.map((f) => f.name).filter((f) => table.columnOf[f]) : [];
    let groupBy: string | undefined;
    if (groupedField) {
      const groupByArg = groupedField.args.find((a) => a.name === "groupBy")!;
      const groupByValues = model.types.get(named(groupByArg.type).name!)!.enumValues!.map((v) => v.name);
      groupBy = groupByValues.includes("USER_ID") ? "USER_ID" : groupByValues.find((v) => table.columns.includes(v.toLowerCase()));
      t.truthy(groupBy, `${table.connection}: a group key`);
    }
    const response = await h.gateway.graphql(
      `{ ${table.connection} {
          ${aggregatesField ? `aggregates { distinctCount { ${pkField} } ${sumFields.length ? `sum { ${sumFields.join(" ")} }` : ""} }` : ""}
          ${groupBy ? `groupedAggregates(groupBy: [${groupBy}]) { keys distinctCount { ${pkField} } }` : ""} } }`,
      {},
      await as(ALICE),
    );
    t.is(response.status, 200);
    t.is(response.body.errors, undefined, `${table.connection}: ${JSON.stringify(response.body.errors)}`);
    const { aggregates, groupedAggregates } = response.body.data[table.connection];
    const { rows } = await h.db.ownerPool.query(
      `select count(*)::text as n ${sumFields.map((f) => `, coalesce(sum(${table.columnOf[f]}), 0)::numeric as "${f}"`).join("")}
         from app_public.${table.table} where ${where}`,
      params,
    );
    if (aggregatesField) {
      t.is(aggregates.distinctCount[pkField], rows[0].n, `${table.connection}: distinctCount`);
      for (const f of sumFields) t.is(Number(aggregates.sum[f]), Number(rows[0][f]), `${table.connection}: sum of ${f}`);
    }
    if (groupBy) {
      const { rows: groups } = await h.db.ownerPool.query(
        `select ${groupBy.toLowerCase()}::text as key, count(*)::text as n from app_public.${table.table} where ${where} group by 1 order by 1`,
        params,
      );
      t.deepEqual(
        groupedAggregates.map((g: any) => ({ key: String(g.keys[0]), n: g.distinctCount[pkField] })).sort((a: any, b: any) => a.key.localeCompare(b.key)),
        groups.map((g) => ({ key: g.key, n: g.n })),
        `${table.connection}: groupedAggregates by ${groupBy}`,
      );
    }
  }
  t.true(checked >= 3, "requests, payments and budgets at least offer aggregates");
});

// ---------------------------------------------------------------------------------------------
// Mutations

/** Mutations that act only on the caller's own identity (tested in test/auth and test/spend). */
const SELF_ONLY = new Set(["register", "login", "refreshSession", "logout", "createApiKey", "recordPayment", "requestPhoneVerification", "verifyPhone"]);
/** Refusals that do not reveal the row: privilege, ownership, not found, operator-only. */
const REFUSALS = new Set(["SGDNY", "SGCOL", "SGPRJ", "SGRNF", "SGPMT", "SGOPR", "SGNFD", "SGUNF"]);

function sampleValue(ref: TypeRef, fieldName: string): unknown {
  const type = model.types.get(named(ref).name!)!;
  if (type.kind === "ENUM") return type.enumValues![0]!.name;
  if (fieldName === "userId") return ALICE;
  if (fieldName === "projectId") return "00000000-0000-4000-9000-000000000001";
  const samples: Record<string, unknown> = {
    String: "sg-security-probe",
    JSON: { probe: "sg-security" },
    BigFloat: "1",
    BigInt: "1",
    Int: 1,
    Float: 1,
    Boolean: true,
    Datetime: "2031-01-01T00:00:00Z",
    Date: "2031-01-01",
    UUID: "00000000-0000-4000-8000-00000000ffff",
  };
  const value = samples[type.name];
  if (value === undefined && type.kind === "INPUT_OBJECT") return {};
  return value ?? null;
}

interface Attempt {
  mutation: Field;
  target: TableModel;
  inputs: Record<string, unknown>[];
}

function targetOf(mutation: Field): TableModel | undefined {
  for (const table of [...model.tables].sort((a, b) => b.typeName.length - a.typeName.length)) {
    for (const verb of ["update", "delete"]) {
      const rest = mutation.name.startsWith(verb + table.typeName) ? mutation.name.slice((verb + table.typeName).length) : undefined;
      if (rest !== undefined && (rest === "" || /^By[A-Z]/.test(rest))) return table;
    }
  }
  const inputType = model.types.get(named(mutation.args.find((a) => a.name === "input")!.type).name!)!;
  for (const field of inputType.inputFields!) {
    for (const table of model.tables) {
      const single = table.pk.length === 1 ? table.pk[0]!.field : undefined;
      if (single && field.name === single) return table;
    }
  }
  return undefined;
}

function attemptsFor(mutation: Field, target: TableModel, row: Record<string, any>): Record<string, unknown>[] {
  const inputType = model.types.get(named(mutation.args.find((a) => a.name === "input")!.type).name!)!;
  const base: Record<string, unknown> = {};
  // Fields that name the row: its primary key, its node id, or the unique key of update<T>By<Key>.
  const byKey = /By([A-Z]\w*)$/.exec(mutation.name)?.[1];
  const keys = new Set([...target.pk.map((pk) => pk.field), "id", ...(byKey ? [lcfirst(byKey)] : [])]);
  let patchType: string | undefined;
  for (const field of inputType.inputFields!) {
    if (field.name === "clientMutationId") continue;
    if (field.name === "patch") patchType = named(field.type).name!;
    else if (keys.has(field.name)) base[field.name] = row[field.name];
    else base[field.name] = sampleValue(field.type, field.name);
  }
  if (!patchType) return [base];
  // One attempt per patchable column, so that a refused column cannot hide an accepted one.
  return model.types.get(patchType)!.inputFields!.map((field) => ({ ...base, patch: { [field.name]: sampleValue(field.type, field.name) } }));
}

function payloadSelection(mutation: Field): string {
  const payload = model.types.get(named(mutation.type).name!)!;
  const parts = payload.fields!.flatMap((field) => {
    const type = model.types.get(named(field.type).name!)!;
    if (type.kind === "SCALAR" || type.kind === "ENUM") return [field.name];
    if (model.byType.has(type.name)) return [`${field.name} { id ${model.byType.get(type.name)!.scalarFields.join(" ")} }`];
    return [];
  });
  return parts.length ? parts.join(" ") : "__typename";
}

test.serial("every update, delete and row-targeting mutation on another user's rows (by primary key, by node id, by unique key) is refused and changes nothing", async (t) => {
  const before = await checksums(h.db.ownerPool);
  const unclassified: string[] = [];
  const attempts: Attempt[] = [];
  for (const mutation of model.mutation.fields!) {
    if (SELF_ONLY.has(mutation.name) || mutation.name.startsWith("create")) continue;
    const target = targetOf(mutation);
    if (!target) {
      unclassified.push(mutation.name);
      continue;
    }
    const rows = allRows.get(target.typeName)!.filter((row) => ownerOf(row) === BOB);
    t.true(rows.length >= 1, `${target.typeName}: bob's rows`);
    for (const row of rows) attempts.push({ mutation, target, inputs: attemptsFor(mutation, target, row) });
  }
  t.deepEqual(unclassified, [], "mutations this suite cannot classify: add them to SELF_ONLY or give them a row key");
  const covered = new Set(attempts.map((a) => a.mutation.name));
  for (const table of model.tables) {
    t.true(covered.has(`update${table.typeName}`) || !model.mutation.fields!.some((f) => f.name === `update${table.typeName}`));
  }

  let sent = 0;
  for (const { mutation, inputs } of attempts) {
    const inputTypeName = named(mutation.args.find((a) => a.name === "input")!.type).name!;
    for (let start = 0; start < inputs.length; start += 20) {
      const batch = inputs.slice(start, start + 20);
      const document = `mutation(${batch.map((_, i) => `$i${i}: ${inputTypeName}!`).join(", ")}) {
        ${batch.map((_, i) => `m${i}: ${mutation.name}(input: $i${i}) { ${payloadSelection(mutation)} }`).join("\n")} }`;
      const response = await h.gateway.graphql(document, Object.fromEntries(batch.map((input, i) => [`i${i}`, input])), await as(ALICE));
      t.is(response.status, 200, mutation.name);
      t.deepEqual(leaks(response.body), [], mutation.name);
      const errorsByAlias = new Map<string | undefined, any>((response.body.errors ?? []).map((e: any) => [e.path?.[0], e]));
      t.is(errorsByAlias.has(undefined), false, `${mutation.name}: ${JSON.stringify(response.body.errors)}`);
      batch.forEach((input, i) => {
        sent++;
        const result = response.body.data?.[`m${i}`];
        const error = errorsByAlias.get(`m${i}`);
        const label = `${mutation.name}(${JSON.stringify(input)})`;
        if (error) {
          t.is(result, null, label);
          t.true(REFUSALS.has(error.extensions?.code), `${label}: ${error.message} ${error.extensions?.code}`);
        } else {
          // Accepted without error: then nothing may have been found, so every payload field is null.
          t.truthy(result, label);
          for (const [key, value] of Object.entries(result)) if (key !== "__typename") t.is(value, null, `${label}.${key}`);
        }
      });
    }
  }
  t.true(sent > 100, `attempts: ${sent}`);
  t.deepEqual(await checksums(h.db.ownerPool), before, "no table changed");
});

test.serial("create mutations cannot create rows owned by another user", async (t) => {
  const before = await checksums(h.db.ownerPool);
  let tried = 0;
  for (const mutation of model.mutation.fields!.filter((f) => f.name.startsWith("create") && !SELF_ONLY.has(f.name))) {
    const inputType = model.types.get(named(mutation.args.find((a) => a.name === "input")!.type).name!)!;
    const recordField = inputType.inputFields!.find((f) => model.types.get(named(f.type).name!)!.kind === "INPUT_OBJECT");
    if (!recordField) continue;
    const recordType = model.types.get(named(recordField.type).name!)!;
    if (!recordType.inputFields!.some((f) => f.name === "userId")) continue;
    const record = Object.fromEntries(
      recordType.inputFields!.filter((f) => isRequired(f.type) || f.name === "userId").map((f) => [f.name, f.name === "userId" ? BOB : sampleValue(f.type, f.name)]),
    );
    const response = await h.gateway.graphql(
      `mutation($input: ${inputType.name}!) { m: ${mutation.name}(input: $input) { ${payloadSelection(mutation)} } }`,
      { input: { [recordField.name]: record } },
      await as(ALICE),
    );
    tried++;
    t.is(response.status, 200);
    t.deepEqual(response.body.data, { m: null }, mutation.name);
    // Row-level security (SGDNY), or SGCOL where the role may not even set userId (admin-only tables).
    t.true(["SGDNY", "SGCOL"].includes(response.body.errors?.[0]?.extensions?.code), `${mutation.name}: ${JSON.stringify(response.body.errors)}`);
  }
  t.true(tried >= 5);
  t.deepEqual(await checksums(h.db.ownerPool), before);
});

test.serial("control: alice can update and soft-delete her own project by primary key and by node id", async (t) => {
  const project = allRows.get("Project")!.find((row) => row.projectId === "00000000-0000-4000-9000-000000000002")!;
  const byPk = await h.gateway.graphql(
    `mutation { updateProject(input: {projectId: "${project.projectId}", patch: {description: "edited by alice"}}) { project { projectId description } } }`,
    {},
    await as(ALICE),
  );
  t.deepEqual(byPk.body, { data: { updateProject: { project: { projectId: project.projectId, description: "edited by alice" } } } });
  const byNode = await h.gateway.graphql(
    `mutation($id: ID!) { updateProjectById(input: {id: $id, patch: {description: "again"}}) { project { description } } }`,
    { id: project.id },
    await as(ALICE),
  );
  t.deepEqual(byNode.body, { data: { updateProjectById: { project: { description: "again" } } } });
  const deleted = await h.gateway.graphql(`mutation { deleteProject(input: {projectId: "${project.projectId}"}) { project { projectId } } }`, {}, await as(ALICE));
  t.deepEqual(deleted.body, { data: { deleteProject: { project: { projectId: project.projectId } } } });
  const { rows } = await h.db.ownerPool.query("select description, deleted_at is not null as deleted from app_public.projects where project_id = $1", [project.projectId]);
  t.deepEqual(rows, [{ description: "again", deleted: true }]);
});

// ---------------------------------------------------------------------------------------------
test.serial("platform-wide tables are refused to users: the connection and every lookup answer SGDNY, never a row", async (t) => {
  const platform = model.tables.filter((table) => PLATFORM_TABLES.has(table.table));
  t.true(platform.length > 0);
  for (const table of platform) {
    const listed = await h.gateway.graphql(`{ ${table.connection} { totalCount nodes { ${table.scalarFields.join(" ")} } } }`, {}, await as(ALICE));
    t.falsy(listed.body.data?.[table.connection], table.connection);
    t.deepEqual(listed.body.errors.map((e: any) => e.extensions.code), ["SGDNY"], table.connection);
    for (const row of allRows.get(table.typeName)!) {
      const args = table.pk.map((pk) => `${pk.field}: ${JSON.stringify(row[pk.field])}`).join(", ");
      const found = await h.gateway.graphql(`{ lookup: ${table.lookup}(${args}) { ${table.pk[0]!.field} } }`, {}, await as(ALICE));
      t.falsy(found.body.data?.lookup, `${table.lookup}: no row for a user`);
      t.deepEqual(found.body.errors?.map((e: any) => e.extensions.code), ["SGDNY"], table.lookup);
    }
  }
});

// Anonymous, operators, admins

test.serial("anonymous requests see no private row: every connection is refused with SGDNY or empty, and every node lookup is null", async (t) => {
  for (const table of model.tables) {
    const response = await h.gateway.graphql(`{ ${table.connection} { totalCount nodes { ${table.scalarFields.join(" ")} } } }`, {});
    t.is(response.status, 200);
    const data = response.body.data?.[table.connection];
    if (response.body.errors) {
      t.deepEqual(response.body.errors.map((e: any) => e.extensions?.code), ["SGDNY"], table.connection);
      t.is(data, null, table.connection);
    } else {
      t.deepEqual(data, { totalCount: 0, nodes: [] }, table.connection);
    }
    for (const row of allRows.get(table.typeName)!.slice(0, 3)) {
      const lookup = await h.gateway.graphql(`query($id: ID!) { node(id: $id) { id } }`, { id: row.id });
      t.is(lookup.status, 200);
      t.is(lookup.body.data?.node ?? null, null, `${table.typeName} ${row.id}`);
      if (lookup.body.errors) t.deepEqual(lookup.body.errors.map((e: any) => e.extensions?.code), ["SGDNY"]);
    }
  }
  const me = await h.gateway.graphql("{ currentUserId }", {});
  t.deepEqual(me.body, { data: { currentUserId: null } });
});

test.serial("operators read every live row of every table (counts equal the database)", async (t) => {
  for (const table of model.tables) {
    const response = await h.gateway.graphql(`{ ${table.connection} { totalCount nodes { ${table.pk.map((pk) => pk.field).join(" ")} } } }`, {}, await as(OPS, "operator"));
    t.is(response.status, 200);
    t.is(response.body.errors, undefined, JSON.stringify(response.body.errors));
    const expected = await expectedKeys(h.db.ownerPool, table, { kind: "all-live" });
    t.deepEqual(response.body.data[table.connection].nodes.map((n: any) => keyOf(table, n)).sort(), expected, table.connection);
    t.is(response.body.data[table.connection].totalCount, expected.length);
  }
});

test.serial("operators cannot change any user's role, not even their own", async (t) => {
  const before = await checksums(h.db.ownerPool);
  for (const userId of [ALICE, OPS]) {
    const response = await h.gateway.graphql(`mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {role: admin}}) { user { role } } }`, { id: userId }, await as(OPS, "operator"));
    t.is(response.status, 200);
    t.deepEqual(response.body.data, { updateUser: null });
    t.deepEqual(response.body.errors.map((e: any) => [e.message, e.extensions.code]), [["role operator may not set UserPatch.role", "SGCOL"]]);
  }
  t.deepEqual(await checksums(h.db.ownerPool), before);
  const { rows } = await h.db.ownerPool.query("select role::text from app_public.users where user_id = any($1) order by email", [[ALICE, OPS]]);
  t.deepEqual(rows, [{ role: "user" }, { role: "operator" }]);
});

test.serial("admins see every live row; soft-deleted rows only with X-Include-Deleted: true", async (t) => {
  for (const table of model.tables) {
    for (const [headers, audience] of [
      [await as(ADMIN, "admin"), { kind: "all-live" }],
      [{ ...(await as(ADMIN, "admin")), "x-include-deleted": "true" }, { kind: "all" }],
      [{ ...(await as(ADMIN, "admin")), "x-include-deleted": "false" }, { kind: "all-live" }],
    ] as const) {
      const response = await h.gateway.graphql(`{ ${table.connection} { totalCount nodes { ${table.pk.map((pk) => pk.field).join(" ")} } } }`, {}, headers);
      t.is(response.status, 200);
      t.is(response.body.errors, undefined);
      const expected = await expectedKeys(h.db.ownerPool, table, audience);
      t.deepEqual(response.body.data[table.connection].nodes.map((n: any) => keyOf(table, n)).sort(), expected, `${table.connection} ${audience.kind}`);
    }
  }
});

test.serial("X-Include-Deleted from anyone but an admin is a 401", async (t) => {
  for (const headers of [{}, await as(ALICE), await as(OPS, "operator"), await as(ADMIN, "user")]) {
    const response = await h.gateway.graphql("{ projects { totalCount } }", {}, { ...headers, "x-include-deleted": "true" });
    t.is(response.status, 401);
    t.deepEqual(response.body, { errors: [{ message: "X-Include-Deleted is only allowed for admins", extensions: { code: "FORBIDDEN_ROLE" } }] });
  }
});

test.serial("secrets are not in the schema: no passwordHash or keyHash anywhere, refreshToken only in the auth operations", async (t) => {
  const hits: string[] = [];
  for (const type of model.types.values()) {
    if (type.name.startsWith("__")) continue;
    const names = [
      ...(type.fields ?? []).flatMap((f) => [f.name, ...f.args.map((a) => `${f.name}(${a.name})`)]),
      ...(type.inputFields ?? []).map((f) => f.name),
      ...(type.enumValues ?? []).map((v) => v.name),
    ];
    for (const name of names) {
      const flat = name.replace(/_/g, "").toLowerCase();
      if (flat.includes("passwordhash") || flat.includes("keyhash")) hits.push(`${type.name}.${name}`);
      if (flat.includes("refreshtoken") && !["AuthPayload", "RefreshSessionInput"].includes(type.name)) hits.push(`${type.name}.${name}`);
    }
  }
  t.deepEqual(hits, []);
  for (const [query, field, type] of [
    ["{ users { nodes { passwordHash } } }", "passwordHash", "User"],
    ["{ apiKeys { nodes { keyHash } } }", "keyHash", "ApiKey"],
    ["{ sessions { nodes { refreshToken } } }", "refreshToken", "Session"],
  ] as const) {
    const response = await h.gateway.graphql(query, {}, await as(ADMIN, "admin"));
    t.is(response.status, 200);
    t.is(response.body.errors?.[0]?.message, `Cannot query field "${field}" on type "${type}".`);
  }
});
