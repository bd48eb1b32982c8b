// Threshold crossings are computed in one place (sql/6200-alert-events.sql, D8): once two
// triggers each computed them, one for the NOTIFY and one for the outbox. These tests fail if a
// second computation comes back: one settlement that crosses a mark must give exactly one outbox
// event, one NOTIFY spendgate_budget_threshold, one announcement on each alert channel and one
// subscription message; and the catalog must show a single trigger on budgets doing that work.
import test from "ava";
import pg from "pg";
import { bootstrapAdmin, createApiKey, promote, register, type Account, type ApiClient } from "../api/client.ts";
import { useTestGateway } from "../helpers/gateway.ts";
import { eventsAfter } from "./support.ts";
import { listening, subscribe } from "./subscriber.ts";

let operator: Account;
const ctx = useTestGateway({}, async ({ db, gateway }) => {
  operator = await promote(await bootstrapAdmin(gateway.url, db.ownerUrl), await register(gateway.url), "operator");
});

interface Agent {
  owner: Account;
  budgetId: string;
  /** Sends X-API-Key, as an agent does. */
  key: ApiClient;
}

/** A registered user with a user-wide budget (daily limit 10), a completed top-up of 100 and an API key. */
async function agent(): Promise<Agent> {
  const owner = await register(ctx.gateway.url);
  const { createBudget } = await owner.client.data('mutation { createBudget(input: {budget: {dailyLimit: "10", monthlyLimit: "1000"}}) { budget { budgetId } } }');
  const { recordPayment } = await owner.client.data('mutation { recordPayment(input: {amount: "100", currency: "USD"}) { payment { paymentId } } }');
  await operator.client.data("mutation($id: UUID!) { completePayment(input: {paymentId: $id}) { payment { status } } }", { id: recordPayment.payment.paymentId });
  return { owner, budgetId: createBudget.budget.budgetId, key: (await createApiKey(owner, "agent")).client };
}

async function submit(a: Agent, estimatedCost: string): Promise<string> {
  const { submitRequest } = await a.key.data(
    "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { request { requestId status } } }",
    { input: { agentId: "research-bot", apiProvider: "openai", modelName: "gpt-4o", endpoint: "chat.completions", estimatedCost } },
  );
  if (submitRequest.request.status !== "approved") throw new Error(`expected approved, got ${submitRequest.request.status}`);
  return submitRequest.request.requestId;
}

async function complete(a: Agent, requestId: string, actualCost: string): Promise<void> {
  await a.key.data("mutation($id: UUID!, $cost: BigFloat!) { completeRequest(input: {requestId: $id, actualCost: $cost}) { request { status } } }", { id: requestId, cost: actualCost });
}

/** A database connection listening on channels, keeping every payload in arrival order. */
async function listenOn(channels: string[]) {
  const client = new pg.Client({ connectionString: ctx.db.ownerUrl });
  await client.connect();
  const received = new Map<string, Record<string, unknown>[]>(channels.map((channel) => [channel, []]));
  client.on("notification", (message) => received.get(message.channel)!.push(JSON.parse(message.payload!)));
  for (const channel of channels) await client.query(`listen ${client.escapeIdentifier(channel)}`);
  return {
    /** The payloads so far: a round trip first, which delivers every notification committed before it. */
    async on(channel: string) {
      await client.query("select 1");
      return received.get(channel)!;
    },
    end: () => client.end(),
  };
}

test.serial("one settlement crossing 80%: exactly one event, one NOTIFY of each kind, one subscription message", async (t) => {
  const a = await agent();
  const userChannel = `spendgate_alerts:${a.owner.userId}`;
  const listener = await listenOn(["spendgate_budget_threshold", userChannel, "spendgate_alerts"]);
  const subscriber = subscribe(ctx.gateway.url, { authorization: `Bearer ${a.owner.accessToken}` });
  try {
    await listening(ctx.db, userChannel);
    const requestId = await submit(a, "5"); // 50%: nothing
    t.deepEqual(await listener.on("spendgate_budget_threshold"), []);
    await complete(a, requestId, "9"); // the settlement: 5 -> 9 of 10 crosses 80%, not 100%

    const events = await eventsAfter(ctx.gateway, { authorization: `Bearer ${a.owner.accessToken}` });
    t.deepEqual(events.map((e) => [e.kind, e.payload]), [
      ["threshold_crossed", { budget_id: a.budgetId, project_id: null, period: "daily", threshold: 80, spent: "9.00000000", limit: "10.00000000" }],
    ]);
    const { rows } = await ctx.db.ownerPool.query("select count(*)::int as n from app_public.alert_events where user_id = $1", [a.owner.userId]);
    t.is(rows[0].n, 1, "one row in the outbox, hidden or not");
    const [event] = events;
    const notified = await listener.on("spendgate_budget_threshold");
    t.is(notified.length, 1);
    t.like(notified[0], { budget_id: a.budgetId, user_id: a.owner.userId, project_id: null, period: "daily", threshold: 80, spent: "9.00000000", limit: "10.00000000" });
    t.deepEqual(await listener.on(userChannel), [{ event_id: event!.eventId, cursor: Number(event!.cursor) }]);
    t.is((await listener.on("spendgate_alerts")).filter((n) => n.event_id === event!.eventId).length, 1);
    t.is((await subscriber.next()).eventId, event!.eventId);

    // The next crossing is the subscriber's next message: no second copy of the first came between.
    await submit(a, "1"); // 10 of 10: 100%
    const next = await subscriber.next();
    t.like(next, { kind: "threshold_crossed", payload: { budget_id: a.budgetId, threshold: 100 } });
    t.deepEqual((await listener.on("spendgate_budget_threshold")).map((n) => n.threshold), [80, 100]);
    t.deepEqual((await listener.on(userChannel)).map((n) => n.event_id), [event!.eventId, next.eventId]);
  } finally {
    await subscriber.close();
    await listener.end();
  }
});

test.serial("a reset reports nothing, and the next crossing after it reports again, once", async (t) => {
  const a = await agent();
  const listener = await listenOn(["spendgate_budget_threshold"]);
  try {
    await complete(a, await submit(a, "8"), "8"); // 80%
    // The day ends for this budget only (its period moved back), and the reset job runs.
    await ctx.db.ownerPool.query("update app_public.budgets set daily_period_start = daily_period_start - interval '1 day' where id = $1", [a.budgetId]);
    await ctx.db.ownerPool.query("select app_private.reset_budgets(now())");
    t.deepEqual((await listener.on("spendgate_budget_threshold")).map((n) => n.threshold), [80], "the reset itself: nothing");
    await submit(a, "7.9"); // 79% of the new day: nothing
    await submit(a, "0.1"); // 80% again
    t.deepEqual((await listener.on("spendgate_budget_threshold")).map((n) => [n.threshold, n.spent]), [[80, "8.00000000"], [80, "8.00000000"]]);
    const events = await eventsAfter(ctx.gateway, { authorization: `Bearer ${a.owner.accessToken}` });
    t.deepEqual(events.map((e) => [e.payload.threshold, e.payload.spent]), [[80, "8.00000000"], [80, "8.00000000"]]);
  } finally {
    await listener.end();
  }
});

test("one trigger on budgets computes threshold crossings, and nothing else on budgets notifies or writes alerts", async (t) => {
  // Every trigger of app_public.budgets whose function reads the limits, writes the outbox or
  // notifies: a second copy of the rule, whatever it is called, shows up here.
  const { rows } = await ctx.db.ownerPool.query(`
    select t.tgname, t.tgfoid::regproc::text as function
      from pg_trigger t join pg_proc p on p.oid = t.tgfoid
     where t.tgrelid = 'app_public.budgets'::regclass and not t.tgisinternal
       and p.prosrc ~* '(daily|monthly)_limit|threshold|alert_event|notify'
     order by 1`);
  t.deepEqual(rows, [{ tgname: "_900_threshold_events", function: "app_private.tg_budgets__threshold_events" }]);
});
