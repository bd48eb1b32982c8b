// WebhooksPlugin: createWebhook(input: {url, events}) -> {webhook, secret}. A user registers an
// endpoint for their alert events (sql/6210-webhooks.sql delivers them). A plugin because two
// things SQL should not do: the URL is checked against the outbound rules (src/net/outbound.ts:
// http(s) only, https in production, no credentials, no literal private or loopback address
// outside development; host names are checked again on every delivery), and the signing secret is
// generated here and returned once. The insert runs in the request's transaction and role.
import { randomBytes } from "node:crypto";
import { access, context, object, SafeError, type Step } from "postgraphile/grafast";
import { sideEffectWithPgClientTransaction } from "postgraphile/@dataplan/pg";
import { extendSchema, gql } from "postgraphile/utils";
import { checkOutboundUrl, OutboundRefusedError } from "../src/net/outbound.ts";

export const WEBHOOK_SECRET_PREFIX = "whsec_";

export default extendSchema((build) => {
  const executor = build.input.pgRegistry.pgExecutors.main!;
  const webhooks = build.input.pgRegistry.pgResources.webhooks!;
  return {
    typeDefs: gql`
      input CreateWebhookInput {
        "Where to POST events: https (http outside production), a public address."
        url: String!
        "The kinds of events to deliver."
        events: [AlertEventKind!]!
      }
      type CreateWebhookPayload {
        webhook: Webhook
        "The signing secret, shown only this once: check X-Spendgate-Signature with it (README: Alerts)."
        secret: String!
      }
      extend type Mutation {
        "Registers an endpoint that receives your alert events, signed with the returned secret. SGURL: the URL is not allowed."
        createWebhook(input: CreateWebhookInput!): CreateWebhookPayload
      }
    `,
    objects: {
      Mutation: {
        plans: {
          createWebhook(_: unknown, fieldArgs: any) {
            const $input = fieldArgs.getRaw(["input"]) as Step<{ url: string; events: string[] }>;
            const $created = sideEffectWithPgClientTransaction(
              executor,
              object({ input: $input, services: context().get("services") }),
              async (client, { input, services }) => {
                try {
                  checkOutboundUrl(input.url, services.outbound);
                } catch (error) {
                  if (error instanceof OutboundRefusedError) throw new SafeError(`webhook URL refused: ${error.message}`, { code: "SGURL" });
                  throw error;
                }
                const secret = WEBHOOK_SECRET_PREFIX + randomBytes(32).toString("base64url");
                const { rows } = await client.query<{ webhook_id: string }>({
                  text: "select app_private.create_webhook($1, $2::app_public.alert_event_kind[], $3) as webhook_id",
                  values: [input.url, input.events, secret],
                });
                return { webhookId: rows[0]!.webhook_id, secret };
              },
            );
            return object({ webhook: webhooks.get({ webhook_id: access($created, "webhookId") }), secret: access($created, "secret") });
          },
        },
      },
    },
  };
}, "WebhooksPlugin");
