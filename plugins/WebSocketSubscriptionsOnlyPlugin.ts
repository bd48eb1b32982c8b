// WebSocketSubscriptionsOnlyPlugin: GraphQL over WebSocket (enabled for the alert subscription,
// AlertSubscriptionPlugin) serves subscriptions only. graphql-ws would run queries and mutations
// too, but WebSocket messages pass none of the Express middleware that guards HTTP: login and
// register rate limits, the per-API-key request limit, the body limit (src/server/
// installGraphQLGuards.ts). Refusing them here keeps one door for everything but subscriptions.
import { getOperationAST, GraphQLError, parse } from "postgraphile/graphql";

function operationType(query: unknown, operationName: unknown): string | undefined {
  if (typeof query !== "string") return undefined;
  try {
    return getOperationAST(parse(query), typeof operationName === "string" ? operationName : undefined)?.operation;
  } catch {
    return undefined; // not parsable: grafserv reports the syntax error
  }
}

const WebSocketSubscriptionsOnlyPlugin: GraphileConfig.Plugin = {
  name: "WebSocketSubscriptionsOnlyPlugin",
  version: "1.0.0",
  description: "Only subscriptions over GraphQL over WebSocket; queries and mutations go over HTTP",
  grafserv: {
    middleware: {
      onSubscribe(next, event) {
        const { query, operationName } = event.message.payload;
        const type = operationType(query, operationName);
        if (type !== undefined && type !== "subscription") {
          return [
            new GraphQLError(`only subscriptions are served over WebSocket: send this ${type} over HTTP (POST /graphql)`, {
              extensions: { code: "SUBSCRIPTIONS_ONLY" },
            }),
          ];
        }
        return next();
      },
    },
  },
};

export default WebSocketSubscriptionsOnlyPlugin;
