// What the gateway checks on /graphql before PostGraphile runs the operation:
// - the body is JSON within GRAPHQL_BODY_LIMIT (413 otherwise) and is one operation: batched
//   (array) bodies are refused with 400, since grafserv does not execute batches;
// - rate limits (429 with Retry-After): requests per API key (GET and POST), and login/register attempts per
//   client IP and login attempts per account. Login attempts are recognised by parsing the
//   document (aliases and variables included), not by matching text.
import express, { type Express, type Response } from "express";
import { Kind, parse, type DocumentNode, type ValueNode } from "postgraphile/graphql";
import type { RequestWithIdentity } from "../auth/identity.ts";
import { codeForStatus } from "../graphql/errorCodes.ts";
import { consume, type RateLimits } from "./rateLimits.ts";

const ACCOUNT_MUTATIONS = new Set(["login", "register"]);

export function installGraphQLGuards(app: Express, bodyLimitBytes: number, limits: RateLimits): void {
  // Queries arrive by GET too: the per-key limit counts every request, whatever its method.
  app.use("/graphql", async (req, res, next) => {
    try {
      const identity = (req as RequestWithIdentity).identity;
      if (identity?.apiKeyId) {
        const wait = await consume(limits.requestsPerApiKey, identity.apiKeyId);
        if (wait) return tooMany(res, wait, "too many requests with this API key");
      }
      next();
    } catch (error) {
      next(error);
    }
  });
  app.post("/graphql", express.json({ limit: bodyLimitBytes }), async (req, res, next) => {
    try {
      if (Array.isArray(req.body)) {
        res.status(400).json({ errors: [{ message: "batched requests are not supported: send one operation per request", extensions: { code: codeForStatus(400) } }] });
        return;
      }
      const attempts = accountAttempts(req.body);
      for (const attempt of attempts) {
        const ipWait = await consume(limits.loginPerIp, req.ip ?? "unknown");
        if (ipWait) return tooMany(res, ipWait, `too many ${attempt.field} attempts from this address`);
        if (attempt.field === "login" && attempt.email) {
          const accountWait = await consume(limits.loginPerAccount, attempt.email.toLowerCase());
          if (accountWait) return tooMany(res, accountWait, "too many login attempts for this account");
        }
      }
      next();
    } catch (error) {
      next(error);
    }
  });
}

function tooMany(res: Response, seconds: number, message: string): void {
  res.status(429).set("Retry-After", String(seconds)).json({ errors: [{ message, extensions: { code: "RATE_LIMITED", retryAfter: seconds } }] });
}

interface Attempt {
  field: string;
  email: string | undefined;
}

/** login/register fields in the body's mutations, with the email each names (when it is known). */
export function accountAttempts(body: unknown): Attempt[] {
  const { query, variables } = (body ?? {}) as { query?: unknown; variables?: Record<string, unknown> };
  if (typeof query !== "string" || !/login|register/.test(query)) return [];
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return []; // grafserv reports the syntax error
  }
  const attempts: Attempt[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION || definition.operation !== "mutation") continue;
    for (const selection of definition.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD || !ACCOUNT_MUTATIONS.has(selection.name.value)) continue;
      const input = selection.arguments?.find((argument) => argument.name.value === "input")?.value;
      attempts.push({ field: selection.name.value, email: emailOf(input, variables ?? {}) });
    }
  }
  return attempts;
}

function emailOf(input: ValueNode | undefined, variables: Record<string, unknown>): string | undefined {
  if (!input) return undefined;
  if (input.kind === Kind.VARIABLE) {
    const value = variables[input.name.value] as { email?: unknown } | undefined;
    return typeof value?.email === "string" ? value.email : undefined;
  }
  if (input.kind !== Kind.OBJECT) return undefined;
  const email = input.fields.find((field) => field.name.value === "email")?.value;
  if (email?.kind === Kind.STRING) return email.value;
  if (email?.kind === Kind.VARIABLE) {
    const value = variables[email.name.value];
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}
