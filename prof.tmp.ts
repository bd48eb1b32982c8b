import { Readable } from "node:stream";
import { createRequire } from "node:module";
import { parse } from "csv-parse";
const require = createRequire(import.meta.url);
const StreamArray = require("stream-json/streamers/StreamArray.js");
function* chunks(b: Buffer) { for (let i = 0; i < b.length; i += 65536) yield b.subarray(i, i + 65536); }
const lines = ["occurred_at,provider,model,cost,currency,external_id,project,agent,input_tokens,output_tokens"];
for (let i = 1; i <= 50000; i++) lines.push(`2026-11-0${1 + (i % 9)}T12:00:00Z,openai,gpt-4o,0.00${i % 100},USD,call-${i},research,bot,1000,200`);
const body = Buffer.from(lines.join("\n"));
const json = Buffer.from(JSON.stringify(lines.slice(1).map(l => { const [a,b,c,d,e,f] = l.split(","); return {occurred_at:a,provider:b,model:c,cost:Number(d),currency:e,external_id:f, project: "research", agent: "bot", input_tokens: 1000, output_tokens: 200}; })));
async function time(name: string, f: () => Promise<number>) { const t = performance.now(); const n = await f(); console.log(name, Math.round(performance.now() - t), "ms", n); }
await time("csv trim+columns", async () => { let n = 0; for await (const r of Readable.from(chunks(body)).pipe(parse({ bom: true, trim: true, columns: true, skip_empty_lines: true }))) n++; return n; });
await time("csv columns", async () => { let n = 0; for await (const r of Readable.from(chunks(body)).pipe(parse({ columns: true }))) n++; return n; });
await time("csv arrays", async () => { let n = 0; for await (const r of Readable.from(chunks(body)).pipe(parse({}))) n++; return n; });
await time("json default", async () => { let n = 0; for await (const r of Readable.from(chunks(json)).pipe(StreamArray.withParser({ numberAsString: true }))) n++; return n; });
await time("json packed only", async () => { let n = 0; for await (const r of Readable.from(chunks(json)).pipe(StreamArray.withParser({ numberAsString: true, streamValues: false }))) n++; return n; });
await time("JSON.parse whole", async () => JSON.parse(json.toString()).length);
console.log(body.length, json.length);
