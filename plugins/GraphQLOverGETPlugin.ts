// GraphQLOverGETPlugin: GraphQL over HTTP the way clients with default settings call it.
// - Queries also by GET (`grafserv.graphqlOverGET`, set in src/graphql/preset.ts; urql and
//   Apollo's persisted queries send GET); mutations over GET stay a 405.
// - A missing Accept header or `*/*` is answered with `application/json` (status 200 for
//   validation errors too), the type every client reads, instead of grafserv's
//   `application/graphql-response+json` with status 400.
// - GET answers depend on the caller's credentials and must never be stored by a shared cache:
//   `Cache-Control: private, no-store` and `Vary` on the headers that change the answer.
const VARY = "Accept, Authorization, X-API-Key, X-Include-Deleted";

const GraphQLOverGETPlugin: GraphileConfig.Plugin = {
  name: "GraphQLOverGETPlugin",
  version: "1.0.0",
  description: "Accept defaults to application/json; GET answers are private and never stored",
  grafserv: {
    middleware: {
      async processRequest(next, event) {
        const request = event.requestDigest;
        const graphqlPath = event.resolvedPreset.grafserv?.graphqlPath ?? "/graphql";
        if (request.path !== graphqlPath) return next();
        const accept = request.headers.accept?.trim();
        if (!accept || /^\*\/\*(\s*;.*)?$/.test(accept)) request.headers.accept = "application/json";
        const result = await next();
        if (result && request.method === "GET" && "headers" in result) {
          result.headers["cache-control"] = "private, no-store";
          result.headers["vary"] = VARY;
        }
        return result;
      },
    },
  },
};

export default GraphQLOverGETPlugin;
