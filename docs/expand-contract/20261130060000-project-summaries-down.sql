-- Drops the column and what is in it: in production it needs CONFIRM_DESTRUCTIVE_MIGRATION naming it.
alter table app_public.projects drop column summary;
