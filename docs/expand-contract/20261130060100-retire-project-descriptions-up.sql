-- Why: every gateway now reads and writes summary (release N+1 removed description from its
-- queries and clients); the old column goes.
-- Contract (release N+2, never in the same release as the expand): destructive, so production
-- refuses it until CONFIRM_DESTRUCTIVE_MIGRATION=20261130060100-retire-project-descriptions.
alter table app_public.projects drop column description;
