// The README's "Spend uploads" steps, run as written: its ```sh upload blocks by the shell (in a
// scratch folder, with curl) and its ```graphql upload blocks as a registered user, in order,
// against a gateway with the default local storage and its inline worker. `<name>` placeholders
// take the value of field `name` from an earlier answer, as a reader would copy it.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { register } from "../api/client.ts";

const README = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const start = README.indexOf("## Spend uploads");
const SECTION = README.slice(start, README.indexOf("\n## ", start + 5));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spendgate-readme-uploads-"));
const ctx = useTestGateway({ WORKER: "inline", UPLOADS_DIR: path.join(dir, "store"), DATA_DIR: path.join(dir, "data") });
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function collect(value: unknown, into: Map<string, string>, key?: string): void {
  if (Array.isArray(value)) value.forEach((item) => collect(item, into, key));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) collect(v, into, k);
  else if (key && value != null) into.set(key, String(value));
}

test("the README's spend upload steps run as written, from an empty database", async (t) => {
  const blocks = [...SECTION.matchAll(/^```(sh|graphql) upload\n([\s\S]*?)^```$/gm)].map(([, kind, body]) => ({ kind: kind!, body: body! }));
  t.deepEqual(blocks.map((b) => b.kind), ["sh", "graphql", "sh", "graphql", "graphql"]);
  const user = await register(ctx.gateway.url);
  const work = path.join(dir, "work");
  fs.mkdirSync(work);
  const values = new Map<string, string>();
  let last: any;
  for (const block of blocks) {
    const text = block.body.replace(/<(\w+)>/g, (placeholder, name: string) => {
      const value = values.get(name);
      if (value === undefined) throw new Error(`README placeholder ${placeholder} has no value from an earlier answer`);
      return value;
    });
    if (block.kind === "sh") {
      // Asynchronously: curl talks to the gateway in this very process.
      await promisify(execFile)("sh", ["-c", text], { cwd: work });
      continue;
    }
    const processed = text.includes("completeUpload")
      ? new Promise<void>((resolve) => ctx.gateway.worker!.runner.events.once("job:complete", () => resolve()))
      : undefined;
    last = await user.client.data(text);
    await processed;
    collect(last, values);
  }
  t.is(fs.statSync(path.join(work, "spend.csv")).size, 219, "the size the README gives");
  const upload = last.dataUpload;
  t.like(upload, { status: "completed", rowCount: 2, validRowCount: 2, errorCount: 0, validationErrors: [], failureReason: null });
  t.deepEqual(upload.transactions.nodes.map((n: any) => [n.provider, n.cost]), [["openai", "1.25000000"], ["anthropic", "0.50000000"]]);
  t.deepEqual(upload.reconciliation.nodes.map((n: any) => [n.provider, n.status]), [["anthropic", "missing_in_gateway"], ["openai", "missing_in_gateway"]]);
});
