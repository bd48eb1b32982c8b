// Where a server's CPU went: `node bench/cpuProfile.ts <file.cpuprofile> [top]` prints the self
// time of a V8 CPU profile (written by `BENCH_CPU_PROFILE_DIR=dir npm run bench -- gateway`),
// grouped by package (node_modules/<name>, our src/ and plugins/, node's internals, the garbage
// collector, idle) and the functions with the most self time.
import fs from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error("usage: node bench/cpuProfile.ts <file.cpuprofile> [top]");
const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));

/** A package or area of the code a frame belongs to. */
function area({ functionName, url }: ProfileNode["callFrame"]): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return "node internals";
  const own = /\/(src|plugins|bench)\/([^/]+)/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

const selfByArea = new Map<string, number>();
const selfByFunction = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const frame = nodes.get(id)!.callFrame;
  const micros = profile.timeDeltas[i] ?? 0;
  total += micros;
  const where = area(frame);
  selfByArea.set(where, (selfByArea.get(where) ?? 0) + micros);
  const name = `${frame.functionName || "(anonymous)"} ${frame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(src|plugins|bench)\//, "$1/")}:${frame.lineNumber + 1}`;
  selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + micros);
});

const busy = total - (selfByArea.get("(idle)") ?? 0);
const table = (title: string, rows: Map<string, number>, top: number) => {
  console.log(`\n| ${title} | self ms | share of busy CPU |\n|---|---|---|`);
  for (const [name, micros] of [...rows].filter(([name]) => name !== "(idle)").sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| ${name} | ${(micros / 1000).toFixed(0)} | ${((100 * micros) / busy).toFixed(1)}% |`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`);
table("area", selfByArea, 25);
table("function", selfByFunction, Number(topArg ?? 30));
