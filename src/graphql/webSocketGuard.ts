// A GraphQL-over-WebSocket connection is authenticated once, when its first operation starts,
// and may then stay open for days: without a guard, a subscriber whose token expired, whose
// session was logged out or whose key was revoked would go on receiving alert events. The guard
// closes the socket (4403, with the reason) the moment its credential stops being accepted: at
// the token's or key's expiry by the clock, and whenever the credential cache forgets the user
// (a logout, revocation, suspension or role change, src/auth/credentialCache.ts) and checking
// the connection's credentials again fails.
import type { Authenticate } from "../auth/authenticate.ts";
import type { CredentialStore } from "../auth/credentialCache.ts";
import type { Identity } from "../auth/identity.ts";
import type { IncomingHttpHeaders } from "node:http";

/** The part of a `ws` WebSocket the guard uses. */
export interface GuardedSocket {
  close(code: number, reason: string): void;
  once(event: "close", listener: () => void): unknown;
}

/** graphql-ws's close code for a connection whose credentials are refused. */
export const FORBIDDEN_CLOSE_CODE = 4403;
/** setTimeout's longest delay; a later expiry is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const guarded = new WeakSet<GuardedSocket>();

export interface WebSocketGuardDeps {
  authenticate: Authenticate;
  credentials: Pick<CredentialStore, "forgotten">;
}

/** Arms the guard for a socket's identity (once per socket: every operation on it shares the credentials). */
export function guardWebSocket({ authenticate, credentials }: WebSocketGuardDeps, socket: GuardedSocket, params: IncomingHttpHeaders, identity: Identity): void {
  const { userId, acceptedUntil } = identity;
  if (!userId || guarded.has(socket)) return;
  guarded.add(socket);
  const ended = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const close = (reason: string) => {
    if (ended.signal.aborted) return;
    ended.abort();
    socket.close(FORBIDDEN_CLOSE_CODE, reason.slice(0, 120)); // a close reason is at most 123 bytes
  };
  socket.once("close", () => {
    ended.abort();
    clearTimeout(timer);
  });

  const expireAt = (until: number) => {
    const wait = until - Date.now();
    if (wait <= 0) return close("the credentials of this connection have expired");
    timer = setTimeout(() => expireAt(until), Math.min(wait, MAX_TIMER_MS));
  };
  if (acceptedUntil !== undefined) expireAt(acceptedUntil);

  const recheckWhenForgotten = () =>
    void credentials.forgotten(userId, ended.signal).then(async () => {
      try {
        await authenticate(params);
        if (!ended.signal.aborted) recheckWhenForgotten();
      } catch (error) {
        close((error as Error).message);
      }
    });
  recheckWhenForgotten();
}
