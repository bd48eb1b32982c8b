// AlertSubscriptionPlugin: `subscription { alertEvents { event { ... } } }` over GraphQL over
// WebSocket (graphql-ws, on /graphql). Users receive the alert events of their own budgets and
// requests, operators and admins everyone's, as they are committed (sql/6200-alert-events.sql
// NOTIFYs spendgate_alerts:<user_id> and spendgate_alerts). The topic is chosen from the verified
// identity of the connection, never from an argument, and each event row is read under the
// subscriber's row-level security. Events sent while a client was not connected are not replayed
// here: the client keeps the cursor of the last event it handled and calls
// alertEventsAfter(afterCursor) after (re)subscribing.
import { access, context, lambda, listen, object, SafeError } from "postgraphile/grafast";
import { jsonParse } from "postgraphile/@dataplan/json";
import { extendSchema, gql } from "postgraphile/utils";
import type { Identity } from "../src/auth/identity.ts";

function topicFor(identity: Identity): string {
  if (!identity.userId) throw new SafeError("log in (connectionParams: authorization or x-api-key) to subscribe to alerts", { code: "SGANO" });
  const everyone = identity.role === "spendgate_operator" || identity.role === "spendgate_admin";
  return everyone ? "spendgate_alerts" : `spendgate_alerts:${identity.userId}`;
}

export default extendSchema((build) => {
  const alertEvents = build.input.pgRegistry.pgResources.alert_events!;
  return {
    typeDefs: gql`
      type AlertEventsSubscriptionPayload {
        "The event, as alertEventsAfter returns it."
        event: AlertEvent
      }
      extend type Subscription {
        "Alert events as they happen: yours, or everyone's for operators and admins. After a reconnect, fetch what you missed with alertEventsAfter(afterCursor)."
        alertEvents: AlertEventsSubscriptionPayload
      }
    `,
    objects: {
      Subscription: {
        plans: {
          alertEvents: {
            subscribePlan() {
              const $topic = lambda(context().get("identity"), topicFor, true);
              return listen(context().get("pgSubscriber"), $topic, jsonParse);
            },
            plan($message: any) {
              return object({ event: alertEvents.get({ event_id: access($message, "event_id") }) });
            },
          },
        },
      },
    },
  };
}, "AlertSubscriptionPlugin");
