// The README's section "Alerts: subscriptions and webhooks", run as written: its GraphQL blocks
// (```graphql alerts as=user, in order, `<name>` replaced by the field of an earlier answer), its
// subscription through graphql-ws, its graphql-ws client snippet, and its receiver's signature
// check against a real delivery.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import test from "ava";
import pg from "pg";
import { Logger, type JobHelpers } from "graphile-worker";
import { makeDeliverWebhooks } from "../../src/tasks/deliver_webhooks.ts";
import { useTestGateway } from "../helpers/gateway.ts";
import { startReceiver } from "./receiver.ts";
import { spender } from "./support.ts";
import { listening, subscribe } from "./subscriber.ts";

const README = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const SECTION = /^## Alerts: subscriptions and webhooks\n([\s\S]*?)^## /m.exec(README)![1]!;
const ctx = useTestGateway({ OUTBOUND_ALLOW_PRIVATE: "true" });

const blocks = (info: string) => [...SECTION.matchAll(new RegExp(`^\`\`\`${info}\\n([\\s\\S]*?)^\`\`\`$`, "gm"))].map((m) => m[1]!);

function collect(value: unknown, into: Map<string, string>, key?: string): void {
  if (Array.isArray(value)) value.forEach((item) => collect(item, into, key));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) collect(v, into, k);
  else if (key && value != null) into.set(key, String(value));
}

/** A README JavaScript block as a module file, its imports resolved from this project. */
async function importBlock(code: string, prelude = "", epilogue = ""): Promise<any> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-readme-")), "block.mjs");
  const resolved = code.replace(/from "graphql-ws"/g, `from ${JSON.stringify(import.meta.resolve("graphql-ws"))}`);
  fs.writeFileSync(file, `${prelude}\n${resolved}\n${epilogue}`);
  return import(pathToFileURL(file).href);
}

test.serial("the GraphQL examples run in order and answer what the text says", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  await alice.spend("8"); // 80%
  const queries = blocks("graphql alerts as=user");
  t.is(queries.length, 4);
  const values = new Map<string, string>();
  const answers: any[] = [];
  for (const [i, query] of queries.entries()) {
    if (i === 1) await alice.spend("2"); // 100%, after the cursor the first answer gave
    const text = query.replace(/<([^<>]+)>/g, (_, name: string) => values.get(name) ?? `<${name}>`);
    const response = await ctx.gateway.graphql(text, {}, alice.headers);
    t.deepEqual(response.body.errors, undefined, query);
    answers.push(response.body.data);
    collect(response.body.data, values);
  }
  t.deepEqual(answers[0].alertEventsAfter.nodes.map((e: any) => e.payload.threshold), [80]);
  t.deepEqual(answers[1].alertEventsAfter.nodes.map((e: any) => e.kind), ["threshold_crossed"]);
  t.regex(answers[2].createWebhook.secret, /^whsec_/);
  t.deepEqual(answers[2].createWebhook.webhook.events, ["threshold_crossed", "hold_expired"]);
});

test.serial("the subscription and the graphql-ws client snippet receive an event", async (t) => {
  const alice = await spender(ctx.db, ctx.gateway);
  const [subscription] = blocks("graphql alerts-subscription");
  const subscriber = subscribe(ctx.gateway.url, alice.headers, subscription!);
  const [snippet] = blocks("js");
  const wsUrl = ctx.gateway.url.replace(/^http/, "ws");
  const module = await importBlock(
    snippet!.replace("ws://127.0.0.1:4000", wsUrl),
    `const accessToken = ${JSON.stringify(alice.headers.authorization!.slice("Bearer ".length))};
     let received; export const event = new Promise((resolve) => (received = resolve)); const handle = (e) => received(e);`,
    "export { client };",
  );
  try {
    await listening(ctx.db, `spendgate_alerts:${alice.userId}`);
    await alice.spend("9");
    t.like(await subscriber.next(), { kind: "threshold_crossed", payload: { threshold: 80 } });
    t.like(await module.event, { kind: "threshold_crossed" });
  } finally {
    await subscriber.close();
    await module.client.dispose();
  }
});

test.serial("the receiver's signature check accepts a real delivery and refuses a changed body", async (t) => {
  const receiver = await startReceiver();
  try {
    const alice = await spender(ctx.db, ctx.gateway);
    const created = await ctx.gateway.graphql(
      "mutation($url: String!) { createWebhook(input: {url: $url, events: [threshold_crossed]}) { secret } }",
      { url: receiver.url },
      alice.headers,
    );
    const secret = created.body.data.createWebhook.secret as string;
    await alice.spend("8");
    const helpers = {
      withPgClient: async <T>(fn: (client: pg.PoolClient) => Promise<T>) => {
        const client = await ctx.db.ownerPool.connect();
        try {
          return await fn(client);
        } finally {
          client.release();
        }
      },
      logger: new Logger(() => () => undefined),
    } as unknown as JobHelpers;
    await makeDeliverWebhooks(() => ctx.gateway.config.outbound)({}, helpers);
    t.is(receiver.received.length, 1);
    const { headers, body } = receiver.received[0]!;
    const { verifySpendgateSignature } = await importBlock(blocks("js alerts-receiver")[0]!);
    t.true(verifySpendgateSignature(secret, headers, body));
    t.false(verifySpendgateSignature(secret, headers, body.replace("threshold_crossed", "hold_expired")));
    t.false(verifySpendgateSignature(`${secret}x`, headers, body));
  } finally {
    await receiver.down();
  }
});
