// Authentication failures: always a 401 with a JSON body naming what is wrong, never a silent
// downgrade to the anonymous role.
export type AuthErrorCode = "invalid_token" | "token_expired" | "invalid_api_key" | "revoked_api_key" | "expired_api_key" | "unknown_user" | "forbidden_role";

export class AuthError extends Error {
  override name = "AuthError";
  readonly code: AuthErrorCode;
  readonly statusCode = 401;
  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
