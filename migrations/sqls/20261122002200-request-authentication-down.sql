revoke usage on schema app_private from spendgate_authenticator;
