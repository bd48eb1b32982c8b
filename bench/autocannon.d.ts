// The part of autocannon's programmatic API that bench/loadgen.ts uses (the package ships no types).
declare module "autocannon" {
  interface RequestData {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }
  interface Client {
    setHeadersAndBody(headers: Record<string, string>, body: string | undefined): void;
  }
  interface Options {
    url: string;
    connections: number;
    duration: number;
    method: string;
    headers: Record<string, string>;
    body?: string;
    setupClient?: (client: Client) => void;
    requests?: {
      setupRequest?: (request: RequestData, context: Record<string, unknown>) => RequestData;
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
    }[];
  }
  interface Result {
    "2xx": number;
    non2xx: number;
    errors: number;
    timeouts: number;
    latency: { p50: number; p99: number };
    statusCodeStats?: Record<string, { count: number }>;
  }
  export default function autocannon(options: Options): Promise<Result>;
}
