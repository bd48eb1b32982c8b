-- Why: the gateway's authenticator role asks the database who a request's credentials belong to
-- through functions in app_private (sql/2200-request-authentication.sql), so it needs USAGE on
-- that schema; it holds no table privileges.

grant usage on schema app_private to spendgate_authenticator;
