// The README's "Spend insights" examples (fenced as ```graphql insights as=<who>```), run in
// order as written against a gateway on an empty database: a user who consents and computes a
// persona, an operator's approval queue and decision, the user's views. `<name>` placeholders
// take the field `name` from an earlier answer (or the user's own `userId`), as a reader copies it.
import fs from "node:fs";
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, promote, register, type ApiClient } from "../api/client.ts";

const README = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const ctx = useTestGateway();

/** Every scalar in an answer, by field name (later answers win). */
function collect(value: unknown, into: Map<string, string>, key?: string): void {
  if (Array.isArray(value)) value.forEach((item) => collect(item, into, key));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) collect(v, into, k);
  else if (key && value != null) into.set(key, String(value));
}

test("the README's spend insights examples run as written", async (t) => {
  const blocks = [...README.matchAll(/^```graphql insights as=(\w+)\n([\s\S]*?)^```$/gm)].map(([, as, query]) => ({ as: as!, query: query! }));
  t.is(blocks.length, 4);
  const admin = await bootstrapAdmin(ctx.gateway.url, ctx.db.ownerUrl);
  const operator = await promote(admin, await register(ctx.gateway.url), "operator");
  const user = await register(ctx.gateway.url);
  const clients = new Map<string, ApiClient>([["user", user.client], ["operator", operator.client]]);
  const values = new Map<string, string>([["userId", user.userId]]);
  const answers: any[] = [];
  for (const block of blocks) {
    const query = block.query.replace(/<([^<>]+)>/g, (placeholder, name: string) => {
      const value = values.get(name);
      if (value === undefined) throw new Error(`README placeholder ${placeholder} has no value from an earlier answer`);
      return value;
    });
    const response = await clients.get(block.as)!.post(query);
    t.deepEqual(response.body.errors, undefined, block.query);
    answers.push(response.body.data);
    // The user's own id stays what <userId> means; other users' ids in the queue do not replace it.
    collect(response.body.data, values);
    values.set("userId", user.userId);
  }
  t.like(answers[0].computePersona.userProfile, { personaId: 5, personaName: "dormant" });
  t.like(answers[1].recommendations.nodes[0], { userId: user.userId, rule: "getting_started", type: "education" });
  t.like(answers[2].approveRecommendation.recommendation, { status: "approved", approvedBy: operator.userId });
  const views = answers[3];
  t.like(views.mySpendProfile, { personaId: 5 });
  t.is(views.mySignals.signals30D.requests, 0);
  t.deepEqual(views.personaHistories.nodes.map((h: any) => h.personaName), ["dormant"]);
  t.is(views.myRecommendations.length, 1);
});
