-- Roles are cluster-wide and shared with other databases: never dropped here.
-- Revoke exactly what the up granted in this database.
revoke usage on schema app_private from spendgate_anonymous, spendgate_user, spendgate_operator, spendgate_admin;
revoke usage on schema app_public from spendgate_anonymous, spendgate_user, spendgate_operator, spendgate_admin;
