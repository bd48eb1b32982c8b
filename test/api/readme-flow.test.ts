// The README's own words, run: its first-screen bootstrap (`npm run user:create ...`) and every
// block of "An agent's whole flow" (fenced as ```graphql flow as=<who> [saves=<who>]), in order,
// then those of "Holds, idempotency and decisions" (```graphql holds as=<who>), continuing it,
// against a gateway on an empty database. `<name>` placeholders take the value of the field
// `name` in an earlier answer, as a reader would copy it; `<your password>` is the password
// typed at the bootstrap. So the documentation cannot drift from the API.
import fs from "node:fs";
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { anonymous, runUserCreate, withApiKey, withToken, type ApiClient } from "./client.ts";

const README = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const ctx = useTestGateway();

interface Block {
  query: string;
  as: string;
  saves?: string;
}

function flowBlocks(kind = "flow"): Block[] {
  return [...README.matchAll(new RegExp(`^\`\`\`graphql ${kind}([^\\n]*)\\n([\\s\\S]*?)^\`\`\`$`, "gm"))].map(([, info, query]) => {
    const attributes = Object.fromEntries([...info!.matchAll(/(\w+)=(\S+)/g)].map(([, key, value]) => [key, value]));
    if (!attributes.as) throw new Error(`a flow block without as=: ${query}`);
    return { query: query!, as: attributes.as, saves: attributes.saves };
  });
}

/** Every scalar in an answer, by field name (later answers win), as a reader finds them. */
function collect(value: unknown, into: Map<string, string>, key?: string): void {
  if (Array.isArray(value)) value.forEach((item) => collect(item, into, key));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) collect(v, into, k);
  else if (key && value != null) into.set(key, String(value));
}

test("the README's bootstrap and agent flow run as written, from an empty database", async (t) => {
  const bootstrap = /^npm run user:create -- (.+)$/m.exec(README);
  t.truthy(bootstrap, "the first screen shows the bootstrap command");
  const password = "the admin's own password";
  const created = await runUserCreate(ctx.db.ownerUrl, bootstrap![1]!.trim().split(/\s+/), `${password}\n`);
  t.is(created.code, 0, created.output);

  const blocks = flowBlocks();
  t.true(blocks.length >= 8, `flow blocks found: ${blocks.length}`);
  const values = new Map<string, string>([["your password", password]]);
  const clients = new Map<string, ApiClient>([["anonymous", anonymous(ctx.gateway.url)]]);
  const answers: any[] = [];
  const send = async (block: Block) => {
    const query = block.query.replace(/<([^<>]+)>/g, (placeholder, name: string) => {
      const value = values.get(name);
      if (value === undefined) throw new Error(`README placeholder ${placeholder} has no value from an earlier answer`);
      return value;
    });
    const client = clients.get(block.as);
    if (!client) throw new Error(`README block sent as ${block.as} before any block gave its credentials: ${block.query}`);
    const response = await client.post(query);
    t.is(response.status, 200, block.query);
    t.deepEqual(response.body.errors, undefined, block.query);
    answers.push(response.body.data);
    collect(response.body.data, values);
    if (block.saves) clients.set(block.saves, withToken(ctx.gateway.url, values.get("accessToken")!));
    if (values.has("apiKey") && !clients.has("agent")) clients.set("agent", withApiKey(ctx.gateway.url, values.get("apiKey")!));
    return response.body.data;
  };
  for (const block of blocks) await send(block);

  // What the prose around the blocks promises.
  const find = (field: string) => answers.find((data) => field in data)?.[field];
  t.like(find("submitRequest").request, { status: "approved", reason: null, reservedCost: "0.12000000" });
  t.like(find("completePayment").payment, { status: "completed", creditedAmount: "20.00000000" });
  t.deepEqual(find("completeRequest").request, { status: "executed", actualCost: "0.09310000" });
  const last = answers.at(-1);
  t.deepEqual(last.currentUser, { availableBalance: "19.90690000", reservedBalance: "0.00000000", totalSpending: "0.09310000" });
  t.deepEqual(last.requests.aggregates.sum, { settledCost: "0.09310000", outstandingCost: "0.00000000" });
  t.deepEqual(last.payments.aggregates.sum, { creditedAmount: "20.00000000" });
  t.like(last.budgets.nodes[0].budgetStatus, { dailyRemaining: "4.90690000", monthlyRemaining: "99.90690000" });

  // "Holds, idempotency and decisions", continuing the same flow.
  const holds = flowBlocks("holds");
  t.is(holds.length, 5, "holds blocks found");
  const held = (await send(holds[0]!)).submitRequest.request;
  t.like(held, { status: "approved", reservedCost: "0.20000000" });
  t.is((Date.parse(held.holdExpiresAt) - Date.now()) / 1000 <= 300, true, "the asked-for hold");
  t.deepEqual((await send(holds[0]!)).submitRequest.request, held, "the same key again: the same request, no second reservation");
  t.like((await send(holds[1]!)).submitRequest.request, {
    status: "rejected", reason: "per_request_limit_exceeded",
    decision: { scope: "budget", period: "request", limit: "1.00000000", used: null, requested: "2", resetsAt: null, retryAfterSeconds: null },
  });
  t.like((await send(holds[2]!)).budgets.nodes[0].budgetStatus, { reserved: "0.20000000", liveHolds: 1, nextHoldExpiresAt: held.holdExpiresAt });
  t.like((await send(holds[3]!)).createBudget.budget, { apiKeyId: values.get("apiKeyId") });
  const settled = await send(holds[4]!);
  t.deepEqual(settled.completeRequest.request, { status: "executed", actualCost: "0.18000000", overLimit: false });
  t.deepEqual(await send(holds[4]!), settled, "completing again answers the same");
});
