// The load generator, in its own process so that it never competes with the server it measures
// inside one event loop: autocannon with the options given as JSON in argv[2]; prints one JSON
// line with the figures the harness (bench/harness.ts) needs.
import autocannon from "autocannon";

interface Options {
  url: string;
  connections: number;
  seconds: number;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

const options = JSON.parse(process.argv[2]!) as Options;
const cpuBefore = process.cpuUsage();
const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.seconds,
  method: options.method,
  headers: options.headers,
  body: options.body,
});
const figures = {
  ok: result["2xx"],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  rps: result["2xx"] / options.seconds,
  p50: result.latency.p50,
  p99: result.latency.p99,
  statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count])),
  /** This process's own CPU time during the load (ms): the share of the machine the load itself took. */
  cpuMs: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpuBefore)),
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
