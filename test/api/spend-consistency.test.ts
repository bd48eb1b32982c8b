// The ledger stays true after any sequence of operations: a property-style test with a fixed
// seed. Random submits (with and without a project, short and long holds, above the approval
// threshold), starts, completions (cheaper and dearer than estimated, late after expiry),
// failures, cancellations, operator decisions, top-ups and expire_holds runs at moving times, all
// through HTTP; after every step app_private.spend_consistency() must find nothing: budgets and
// balances equal settled costs plus live holds. A failure names the seed and the step, so it can
// be replayed.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, promote, register, type Account } from "./client.ts";
import { agent, inconsistencies, runExpireHolds, settle, submit, topUp, type Agent } from "./spendAgent.ts";

const SEED = 20261130;
const STEPS = 120;

let operator: Account;
const ctx = useTestGateway({}, async ({ db, gateway }) => {
  const admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
  operator = await promote(admin, await register(gateway.url), "operator");
});

/** mulberry32: a small deterministic PRNG, so a failing sequence can be replayed from its seed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: T[]): T => items[Math.floor(next() * items.length)]!,
    cost: () => (Math.floor(next() * 400) / 100).toFixed(2),
  };
}

test.serial(`spend_consistency finds nothing after ${STEPS} random operations (seed ${SEED})`, async (t) => {
  const rng = random(SEED);
  const agents: Agent[] = [];
  for (let i = 0; i < 3; i += 1) {
    agents.push(await agent(ctx.gateway.url, operator, { budget: { dailyLimit: "12", monthlyLimit: "30" }, policy: { requireApprovalAbove: "3" }, topUp: "20" }));
  }
  // A user-wide budget too, so that requests hold two budgets at once.
  await agents[0]!.owner.client.data('mutation { createBudget(input: {budget: {dailyLimit: "15"}}) { budget { budgetId } } }');
  const open: { a: Agent; requestId: string; status: string; holdExpiresAt: string }[] = [];
  let clock = Date.now();

  for (let step = 0; step < STEPS; step += 1) {
    const a = rng.pick(agents);
    const kind = open.length === 0 ? "submit" : rng.pick(["submit", "submit", "start", "complete", "complete", "fail", "cancel", "decide", "expire", "topUp"]);
    const target = open.length ? open[rng.int(0, open.length - 1)]! : undefined;
    const done = (requestId: string) => open.splice(open.findIndex((o) => o.requestId === requestId), 1);
    let what: string = kind;
    if (kind === "submit") {
      const request = await submit(a, { estimatedCost: rng.cost(), holdSeconds: rng.pick([5, 60, 600, undefined]), projectId: rng.pick([a.projectId, null]) });
      what = `submit ${request.estimatedCost} -> ${request.status}`;
      if (request.status !== "rejected") open.push({ a, requestId: request.requestId, status: request.status, holdExpiresAt: request.holdExpiresAt });
    } else if (kind === "expire") {
      clock += rng.int(1, 700) * 1000;
      await runExpireHolds(ctx.db, new Date(clock));
      for (const o of [...open]) if (Date.parse(o.holdExpiresAt) <= clock) o.status = "expired";
      what = `expire_holds at +${Math.round((clock - Date.now()) / 1000)} s`;
    } else if (kind === "topUp") {
      await topUp(a.owner, operator, rng.cost());
    } else if (target) {
      const client = target.a.key;
      const response = await (async () => {
        switch (kind) {
          case "start": return client.post("mutation($id: UUID!) { startRequest(input: {requestId: $id}) { request { status } } }", { id: target.requestId });
          case "complete": return client.post(`mutation($id: UUID!) { completeRequest(input: {requestId: $id, actualCost: "${rng.cost()}"}) { request { status } } }`, { id: target.requestId });
          case "fail": return client.post("mutation($id: UUID!) { failRequest(input: {requestId: $id}) { request { status } } }", { id: target.requestId });
          case "cancel": return client.post("mutation($id: UUID!) { cancelRequest(input: {requestId: $id}) { request { status } } }", { id: target.requestId });
          default: return operator.client.post(`mutation($id: UUID!) { ${rng.pick(["approveRequest", "rejectRequest"])}(input: {requestId: $id}) { request { status } } }`, { id: target.requestId });
        }
      })();
      const status = response.body.errors?.length ? response.body.errors[0]!.extensions!.code : (Object.values(response.body.data)[0] as any).request.status;
      what = `${kind} (${target.status}) -> ${status}`;
      if (["executed", "failed", "cancelled", "rejected"].includes(status)) done(target.requestId);
      else if (typeof status === "string" && !status.startsWith("SG")) target.status = status;
      else t.is(status, "SGTRN", `step ${step}: only a transition the rules refuse may fail (${what})`);
    }
    t.deepEqual(await inconsistencies(ctx.db), [], `seed ${SEED}, step ${step}: ${what}`);
  }
  const { rows } = await ctx.db.ownerPool.query(
    "select status || coalesce(' (' || reason || ')', '') as outcome, count(*)::int as n from app_public.requests group by 1 order by 1",
  );
  t.log("requests:", rows.map((row) => `${row.outcome} ${row.n}`).join(", "));
  const outcomes = rows.map((row) => row.outcome.replace(/ \((?!hold_expired).*\)$/, ""));
  for (const outcome of ["executed", "failed", "rejected", "cancelled (hold_expired)"]) t.true(outcomes.some((o) => o.startsWith(outcome)), `the sequence reached ${outcome}`);
});

test.serial("spend_consistency reports a counter that disagrees with the rows behind it", async (t) => {
  const a = await agent(ctx.gateway.url, operator, { topUp: "5" });
  await settle(a.key, "completeRequest", (await submit(a, { estimatedCost: "1" })).requestId, ', actualCost: "1"');
  await ctx.db.ownerPool.query("update app_public.budgets set reserved_spending = reserved_spending + 1, current_daily_spending = current_daily_spending + 1 where id = $1", [a.budgetId]);
  const found = (await inconsistencies(ctx.db)).filter((row: any) => row.subject_id === a.budgetId);
  t.deepEqual(found.map((row: any) => [row.field, row.expected, row.actual]), [
    ["current_daily_spending", "1.00000000", "2.00000000"],
    ["reserved_spending", "0", "1.00000000"],
  ]);
  await ctx.db.ownerPool.query("update app_public.budgets set reserved_spending = reserved_spending - 1, current_daily_spending = current_daily_spending - 1 where id = $1", [a.budgetId]);
  t.deepEqual(await inconsistencies(ctx.db), []);
});
