-- Dropping the table drops its indexes, triggers, policies and grants.
drop table app_public.users;
