// Structured JSON logs (pino) on stdout. One logger for the process; modules take a child.
// Writes are asynchronous (a log line per request must not block the event loop on stdout);
// pino flushes what is pending when the process exits.
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** `destination`: stdout unless given (tests read the lines). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "spendgate" },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log credentials, even when a caller passes a whole request or config object.
      redact: ["req.headers.authorization", "req.headers['x-api-key']", "*.password", "*.jwtSecret"],
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
