// InsightsPlugin: a user's own spend insights, read through the response caches of seed 003
// (src/insights/cache.ts):
//   mySpendProfile      persona                           profile:{user_id}          5 min
//   mySignals           30- and 180-day signals           signals:{user_id}          24 h
//   myRecommendations   approved recommendations only     recommendations:{user_id}  1 h
// A plugin because the cache sits in front of PostgreSQL: a hit answers without a database round
// trip. A miss reads in the request's transaction with the caller's role, so row-level security
// still decides; the generic userProfiles / recommendations / personaHistories queries stay
// uncached (operators' views, filters, history by time).
import { context, lambda, list } from "postgraphile/grafast";
import type { WithPgClient } from "postgraphile/@dataplan/pg";
import { extendSchema, gql } from "postgraphile/utils";
import type { CachedView } from "../src/insights/cache.ts";

// Each view is one JSON value built by PostgreSQL (timestamps as PostgreSQL writes them), cached as is.
const VIEWS: Record<CachedView, string> = {
  profile: `select json_build_object('personaId', persona_id, 'personaName', persona_name, 'updatedAt', updated_at)
              from app_public.user_profiles where user_id = app_public.current_user_id()`,
  signals: `select json_build_object('signals30D', signals_30d, 'signals180D', signals_180d, 'updatedAt', updated_at)
              from app_public.user_profiles where user_id = app_public.current_user_id()`,
  recommendations: `select coalesce(json_agg(json_build_object('recommendationId', recommendation_id, 'type', type, 'title', title,
                       'content', content, 'rationale', rationale, 'approvedAt', approved_at) order by approved_at desc, recommendation_id), '[]')
                      from app_public.recommendations
                     where user_id = app_public.current_user_id() and status = 'approved'`,
};

function cachedView(view: CachedView) {
  const $request = list([context().get("withPgClient"), context().get("pgSettings"), context().get("identity"), context().get("services")]);
  return lambda($request, async ([withPgClient, pgSettings, identity, services]) => {
    const empty = view === "recommendations" ? [] : null;
    if (!identity.userId) return empty;
    const load = () =>
      (withPgClient as WithPgClient)(pgSettings as Record<string, string>, async (client) => (await client.query<{ v: unknown }>({ text: `select (${VIEWS[view]}) as v` })).rows[0]?.v ?? empty);
    return services.cache.read(view, identity.userId, load);
  });
}

export default extendSchema(
  {
    typeDefs: gql`
      "Your persona (README, Spend insights)."
      type MySpendProfile {
        "1 steady, 2 bursty, 3 growing, 4 at_risk, 5 dormant."
        personaId: Int!
        personaName: String
        updatedAt: Datetime!
      }
      "Your spend signals over the last 30 and 180 days."
      type MySignals {
        signals30D: JSON!
        signals180D: JSON!
        updatedAt: Datetime!
      }
      "A recommendation an operator approved for you."
      type MyRecommendation {
        recommendationId: UUID!
        type: String!
        title: String!
        content: String
        rationale: String
        approvedAt: Datetime
      }
      extend type Query {
        "Your persona; null before it is computed, without consent, or when not logged in. Cached up to 5 minutes, dropped on every change."
        mySpendProfile: MySpendProfile
        "Your 30- and 180-day spend signals; null like mySpendProfile. Cached up to 24 hours, dropped on every change."
        mySignals: MySignals
        "Your approved recommendations, newest first. Cached up to 1 hour, dropped on every change."
        myRecommendations: [MyRecommendation!]!
      }
    `,
    objects: {
      Query: {
        plans: {
          mySpendProfile: () => cachedView("profile"),
          mySignals: () => cachedView("signals"),
          myRecommendations: () => cachedView("recommendations"),
        },
      },
    },
  },
  "InsightsPlugin",
);
