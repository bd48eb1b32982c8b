// PhoneVerificationPlugin: seed 003's SMS verification of a user's phone number.
//   requestPhoneVerification(input: {phoneNumber})  sends a 6-digit code (SMS_PROVIDER)
//   verifyPhone(input: {code})                       marks the number verified (users.phone_verified_at)
// A plugin because the code must be generated, hashed and sent by the gateway, and kept in Redis
// when there is one (src/insights/phoneVerification.ts); the rules that touch rows live in SQL
// (sql/6450-phone-verification.sql). A wrong code is counted even though the mutation fails: the
// check commits its outcome and the error is raised afterwards, outside the transaction.
import { context, lambda, SafeError, type Step } from "postgraphile/grafast";
import { sideEffectWithPgClientTransaction } from "postgraphile/@dataplan/pg";
import { extendSchema, gql } from "postgraphile/utils";
import { PhoneVerificationError, type VerifyOutcome } from "../src/insights/phoneVerification.ts";

const VERIFY_ERRORS: Record<Exclude<VerifyOutcome, "verified">, [string, string]> = {
  wrong_code: ["SGVCD", "wrong verification code"],
  no_code: ["SGVCD", "no valid verification code: request a new one"],
  too_many_attempts: ["SGVAT", "too many wrong codes: request a new one"],
};

function requireUser(userId: string | undefined): string {
  if (!userId) throw new SafeError("log in to verify a phone number", { code: "SGANO" });
  return userId;
}

export default extendSchema((build) => {
  const executor = build.input.pgRegistry.pgExecutors.main!;
  const args = (fieldArgs: { getRaw(path: string[]): any }) => ({
    input: fieldArgs.getRaw(["input"]) as Step<Record<string, string>>,
    services: context().get("services"),
    identity: context().get("identity"),
  });
  return {
    typeDefs: gql`
      input RequestPhoneVerificationInput {
        "International format (E.164), e.g. +15551234567."
        phoneNumber: String!
      }
      type RequestPhoneVerificationPayload {
        "When the code stops working (10 minutes after it was sent)."
        expiresAt: Datetime!
      }
      input VerifyPhoneInput {
        "The 6-digit code received by SMS."
        code: String!
      }
      type VerifyPhonePayload {
        "The number now set on your account and verified."
        phoneNumber: String!
        phoneVerifiedAt: Datetime!
      }
      extend type Mutation {
        "Sends a 6-digit verification code to the phone number (valid 10 minutes; a limited number per number and hour). Errors: SGANO, SGPHN, SGSMS, SGSMF."
        requestPhoneVerification(input: RequestPhoneVerificationInput!): RequestPhoneVerificationPayload
        "Checks the code sent by requestPhoneVerification and sets the number on your account as verified. At most 5 tries per code. Errors: SGANO, SGVCD, SGVAT, SGDUP."
        verifyPhone(input: VerifyPhoneInput!): VerifyPhonePayload
      }
    `,
    objects: {
      Mutation: {
        plans: {
          requestPhoneVerification(_: unknown, fieldArgs: any) {
            return sideEffectWithPgClientTransaction(executor, args(fieldArgs), async (client, { input, services, identity }) => {
              try {
                const expiresAt = await services.phone.request(client, requireUser(identity.userId), String(input.phoneNumber));
                return { expiresAt: expiresAt.toISOString() };
              } catch (error) {
                if (error instanceof PhoneVerificationError) throw new SafeError(error.message, { code: error.code });
                throw error;
              }
            });
          },
          verifyPhone(_: unknown, fieldArgs: any) {
            const $checked = sideEffectWithPgClientTransaction(executor, args(fieldArgs), async (client, { input, services, identity }) => {
              const outcome = await services.phone.check(client, requireUser(identity.userId), String(input.code));
              if (outcome !== "verified") return { outcome };
              // The timestamp as PostgreSQL writes it in JSON, exactly as the users type shows it.
              const { rows } = await client.query<{ phone_number: string; phone_verified_at: string }>({
                text: "select phone_number, to_json(phone_verified_at) #>> '{}' as phone_verified_at from app_public.users where user_id = app_public.current_user_id()",
              });
              return { outcome, phoneNumber: rows[0]!.phone_number, phoneVerifiedAt: rows[0]!.phone_verified_at };
            });
            return lambda($checked, (result: { outcome: VerifyOutcome; phoneNumber?: string; phoneVerifiedAt?: string }) => {
              if (result.outcome === "verified") return result;
              const [code, message] = VERIFY_ERRORS[result.outcome];
              throw new SafeError(message, { code });
            });
          },
        },
      },
    },
  };
}, "PhoneVerificationPlugin");
