// Writes realistic legacy unified_data.json files for tests and the benchmark. Deterministic for
// a seed. With `edgeCases`, records carry what a lossless import must survive: unicode (CJK,
// emoji, RTL, combining marks), escapes and control characters, very long strings, nulls,
// numbers beyond float precision and in exponent form, nested objects and arrays, odd keys
// ("__proto__", ""), every supported timestamp format, numeric and string ids, and references
// written with the other JSON type than the id they point at (42 vs "42").
//
//   node test/helpers/legacyFiles.ts OUT.json [--records N | --users N --projects N --ai-jobs N --sessions N] [--seed S] [--edge-cases]
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export interface GenerateOptions {
  users: number;
  projects: number;
  aiJobs: number;
  sessions: number;
  seed?: number;
  edgeCases?: boolean;
}

/** Splits a total like the benchmark's 1,000,000 records: 10% users, 15% projects, 50% jobs, 25% sessions. */
export function splitRecords(total: number): GenerateOptions {
  const users = Math.max(1, Math.round(total * 0.1));
  const projects = Math.max(1, Math.round(total * 0.15));
  const sessions = Math.round(total * 0.25);
  return { users, projects, aiJobs: total - users - projects - sessions, sessions };
}

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const j = JSON.stringify;

const STRINGS = [
  "日本語のテキスト", "🚀 launch 👩‍💻🏳️‍🌈", "مرحبا بالعالم", "Ćevapčići ñandú Zürich", "e\u0301 (combining)",
  "quote \" backslash \\ slash / newline \n tab \t cr \r", "control \u0001\u001f", "zero\u200bwidth", "",
  "  leading and trailing spaces  ", "null", "true", "12345",
];
// Number texts written verbatim: exact decimals beyond float precision, exponents, negative zero.
const NUMBERS = [
  "12345678901234567890.123456789", "9007199254740993", "-0.000000000000000000001", "1.50", "0", "-0", "1e-7",
  "6.02214076E+23", "-42", "3.141592653589793238462643383279", "100000000000000000000000000000000000000",
];

export async function generateLegacyFile(file: string, options: GenerateOptions): Promise<void> {
  const rnd = random(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const edge = options.edgeCases ?? false;
  const out = fs.createWriteStream(file);
  let buffer = "";
  const write = async (text: string) => {
    buffer += text;
    if (buffer.length < 1 << 20) return;
    const chunk = buffer;
    buffer = "";
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  };

  const userId = (i: number) => (i % 2 ? String(i + 1) : j(`u-${i + 1}${edge && i % 10 === 0 ? "-ü" : ""}`));
  // A reference written with the other JSON type than the id, where that still names it.
  const userRef = (i: number, flip: boolean) => (flip && i % 2 ? j(String(i + 1)) : userId(i));
  const projectId = (i: number) => (i % 3 === 0 ? j(`p${i + 1}`) : String(1_000_000 + i));
  const projectUser = (p: number) => (p * 7919) % options.users;
  const base = Date.UTC(2023, 0, 1) / 1000;
  const timestamp = (seconds: number, variant: number): string => {
    const date = new Date(seconds * 1000);
    const iso = date.toISOString();
    switch (edge ? variant % 7 : variant % 2) {
      case 0: return j(iso.replace(".000Z", "Z"));
      case 1: return j(`${iso.slice(0, 10)} ${iso.slice(11, 19)}`);
      case 2: return String(seconds);
      case 3: return String(seconds * 1000 + 123);
      case 4: return j(iso.replace("Z", "").replace(".000", ".123456") + "+02:00");
      case 5: return j(String(seconds));
      default: return j(iso.slice(0, 10));
    }
  };
  const text = (i: number) => (edge ? pick(STRINGS) + (i % 97 === 0 ? "長".repeat(20_000) : "") : `note ${i}`);
  const nested = (i: number) =>
    edge
      ? `{"level":${i % 5},"tags":[${j(pick(STRINGS))},null,true,false,${pick(NUMBERS)}],"deep":{"a":{"b":{"c":[[],{},[${pick(NUMBERS)}]]}}},"big":12345678901234567890.123456789,"__proto__":{"x":1},"":"empty key"}`
      : `{"level":${i % 5},"tags":["a","b"],"score":${(i % 1000) / 10}}`;

  await write("{\n");
  await write('"users": [\n');
  for (let i = 0; i < options.users; i++) {
    const t = base + i * 37;
    let record = `{"id":${userId(i)},"email":${j(`${edge && i % 4 === 0 ? "ünï" : "user"}${i}@example.com`)},"name":${j(text(i))}`;
    record += `,"role":${j(["user", "user", "operator", "admin"][i % 4]!)},"tier":${j(["free", "pro", "enterprise"][i % 3]!)}`;
    record += `,"total_spending":${i % 5 === 0 ? j(`${i}.5`) : `${i}.25`},"total_requests":${i}`;
    record += `,"created_at":${timestamp(t, i)},"updated_at":${timestamp(t + 60, i + 1)}`;
    if (i % 3 === 0) record += `,"phone_number":${i % 6 === 0 ? "null" : j(`+1555${String(i).padStart(7, "0")}`)}`;
    if (edge) record += `,"profile":${nested(i)},"balance_exact":${pick(NUMBERS)},"flags":[${pick(NUMBERS)},"x"],"nothing":null`;
    await write(`${record}}${i + 1 < options.users ? "," : ""}\n`);
  }
  await write('],\n"projects": [\n');
  for (let p = 0; p < options.projects; p++) {
    const u = projectUser(p);
    let record = `{"id":${projectId(p)},"user_id":${userRef(u, edge && p % 5 === 0)},"name":${j(`Project ${p}${edge ? ` ${pick(STRINGS).slice(0, 8)}` : ""}`)}`;
    record += `,"description":${p % 4 === 0 ? "null" : j(text(p))},"created_at":${timestamp(base + p * 11, p)}`;
    if (edge) record += `,"settings":${nested(p)},"budget":${pick(NUMBERS)}`;
    await write(`${record}}${p + 1 < options.projects ? "," : ""}\n`);
  }
  await write('],\n"ai_jobs": [\n');
  for (let a = 0; a < options.aiJobs; a++) {
    const p = a % options.projects;
    const withProject = a % 4 !== 3;
    const u = withProject ? projectUser(p) : a % options.users;
    const started = base + a * 3;
    let record = `{"id":${a % 2 ? String(5_000_000 + a) : j(`job-${a}`)},"user_id":${userId(u)}`;
    if (withProject) record += `,"project_id":${projectId(p)}`;
    else if (a % 8 === 3) record += `,"project_id":null`;
    record += `,"provider":${j(["anthropic", "openai", "glm"][a % 3]!)},"model_name":${j(["claude-sonnet", "gpt-4o", "glm-4"][a % 3]!)}`;
    record += `,"status":${j(["completed", "failed", "running", "pending"][a % 4]!)},"input":${nested(a)}`;
    record += `,"output":${a % 4 === 0 ? `{"text":${j(text(a))},"tokens":${a % 4000}}` : "null"},"cost":${(a % 10000) / 1000}`;
    record += `,"started_at":${timestamp(started, a)},"completed_at":${timestamp(started + 5, a)},"created_at":${timestamp(started, a + 2)}`;
    if (edge) record += `,"metrics":{"latency_ms":${pick(NUMBERS)},"retries":[1,2,3]},"worker":${j(pick(STRINGS))}`;
    await write(`${record}}${a + 1 < options.aiJobs ? "," : ""}\n`);
  }
  await write('],\n"sessions": [\n');
  for (let s = 0; s < options.sessions; s++) {
    const u = (s * 31) % options.users;
    const created = base + s * 13;
    let record = `{"id":${s % 2 ? String(9_000_000 + s) : j(`s-${s}`)},"user_id":${userRef(u, edge && s % 7 === 0)}`;
    record += `,"refresh_token":${j(`rt-${s}-${Math.floor(rnd() * 1e12).toString(36)}`)}`;
    record += `,"expires_at":${timestamp(created + 86_400 * 30, s)},"created_at":${timestamp(created, s + 3)}`;
    record += `,"user_agent":${j(edge ? pick(STRINGS) : "Mozilla/5.0")},"ip":"203.0.113.${s % 256}"`;
    await write(`${record}}${s + 1 < options.sessions ? "," : ""}\n`);
  }
  await write("]\n}\n");
  out.end(buffer);
  await new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      records: { type: "string" },
      users: { type: "string" },
      projects: { type: "string" },
      "ai-jobs": { type: "string" },
      sessions: { type: "string" },
      seed: { type: "string" },
      "edge-cases": { type: "boolean" },
    },
  });
  if (positionals.length !== 1) {
    console.error("usage: node test/helpers/legacyFiles.ts OUT.json [--records N | --users N --projects N --ai-jobs N --sessions N] [--seed S] [--edge-cases]");
    process.exit(2);
  }
  const counts = values.records
    ? splitRecords(Number(values.records))
    : { users: Number(values.users ?? 10), projects: Number(values.projects ?? 10), aiJobs: Number(values["ai-jobs"] ?? 10), sessions: Number(values.sessions ?? 10) };
  await generateLegacyFile(positionals[0]!, { ...counts, seed: Number(values.seed ?? 1), edgeCases: values["edge-cases"] ?? false });
}
