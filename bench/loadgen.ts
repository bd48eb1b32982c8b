// The load generator, in its own process so that it never competes with the server it measures
// inside one event loop: autocannon with the options given as JSON in argv[2]; prints one JSON
// line with the figures the harness (bench/harness.ts) needs.
// Whatever varies between requests is made here, never in the server: connection i sends the
// headers and body of perConnection[i mod n] (its own credentials, e.g. one user and budget per
// connection), `freshToken` in a body is replaced by a new UUID on every request (a fresh
// idempotency key), and with `expectInBody` an answer whose body lacks that string (a GraphQL
// error in a 200) is counted as `unexpected`, which voids the run.
import { randomUUID } from "node:crypto";
import autocannon from "autocannon";

interface Options {
  url: string;
  connections: number;
  seconds: number;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  perConnection?: { headers?: Record<string, string>; body?: string }[];
  freshToken?: string;
  expectInBody?: string;
}

const options = JSON.parse(process.argv[2]!) as Options;
const cpuAtStart = process.cpuUsage();
let unexpected = 0;
let unexpectedSample: string | undefined;
let connection = 0;
const { perConnection, freshToken, expectInBody } = options;
const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.seconds,
  method: options.method,
  headers: options.headers,
  body: options.body,
  // Called once per connection, in order, as autocannon opens them.
  ...(perConnection && {
    setupClient: (client) => {
      const mine = perConnection[connection++ % perConnection.length]!;
      client.setHeadersAndBody({ ...options.headers, ...mine.headers }, mine.body ?? options.body);
    },
  }),
  // Only the hooks in use: an undefined key would replace autocannon's defaults.
  requests: [
    {
      ...(freshToken && { setupRequest: (request) => ({ ...request, body: String(request.body).replace(freshToken, randomUUID()) }) }),
      ...(expectInBody && {
        onResponse: (status: number, body: string) => {
          if (status >= 200 && status < 300 && !body.includes(expectInBody)) {
            unexpected++;
            unexpectedSample ??= body.slice(0, 500);
          }
        },
      }),
    },
  ],
});
const figures = {
  ok: result["2xx"],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  unexpected,
  unexpectedSample,
  rps: result["2xx"] / options.seconds,
  p50: result.latency.p50,
  p99: result.latency.p99,
  /** This process's own CPU time during the run, ms: what the load costs the machine's cores. */
  cpuMs: (() => {
    const { user, system } = process.cpuUsage(cpuAtStart);
    return (user + system) / 1000;
  })(),
  statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count])),
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
