// Authentication failures: always a 401 with a JSON body naming what is wrong, never a silent
// downgrade to the anonymous role. The codes are upper case like every non-SQL code of the API
// (README: error codes); a client refreshes its token on TOKEN_EXPIRED and logs in again on the
// others.
export type AuthErrorCode =
  | "INVALID_TOKEN"
  | "TOKEN_EXPIRED"
  | "INVALID_API_KEY"
  | "REVOKED_API_KEY"
  | "EXPIRED_API_KEY"
  | "UNKNOWN_USER"
  | "ACCOUNT_INACTIVE"
  | "FORBIDDEN_ROLE";

export class AuthError extends Error {
  override name = "AuthError";
  readonly code: AuthErrorCode;
  readonly statusCode = 401;
  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
