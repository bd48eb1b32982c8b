// CORS_ORIGINS lets listed browser origins call the API; others get no CORS headers.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";

const ctx = useTestGateway({ CORS_ORIGINS: "https://dashboard.example.com" });

test("CORS: a listed origin gets Access-Control-Allow-Origin and its preflight is answered; others get none", async (t) => {
  const preflight = await fetch(`${ctx.gateway.url}/graphql`, {
    method: "OPTIONS",
    headers: { origin: "https://dashboard.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
  });
  t.is(preflight.status, 204);
  t.is(preflight.headers.get("access-control-allow-origin"), "https://dashboard.example.com");
  t.regex(preflight.headers.get("access-control-allow-headers") ?? "", /Authorization/);
  const listed = await ctx.gateway.graphql("{ version }", {}, { origin: "https://dashboard.example.com" });
  t.is(listed.headers.get("access-control-allow-origin"), "https://dashboard.example.com");
  const other = await ctx.gateway.graphql("{ version }", {}, { origin: "https://evil.example.com" });
  t.is(other.headers.get("access-control-allow-origin"), null);
});
