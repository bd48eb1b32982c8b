// A webhook receiver on a local port for the delivery tests: it can answer 503, be down (port
// closed, connections refused) or answer 200, and records every request it got.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** What the next requests get. */
  answer: number;
  down(): Promise<void>;
  up(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  let server: http.Server | undefined;
  let port = 0;
  const receiver: Receiver = {
    url: "",
    received: [],
    answer: 200,
    async up() {
      server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (chunk) => (body += chunk));
        req.on("end", () => {
          receiver.received.push({ headers: req.headers, body, answered: receiver.answer });
          res.writeHead(receiver.answer, { connection: "close" }).end(receiver.answer < 300 ? "ok" : "unavailable");
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${port}/hooks/spendgate`;
    },
    async down() {
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server!.closeAllConnections();
    },
  };
  await receiver.up();
  return receiver;
}
