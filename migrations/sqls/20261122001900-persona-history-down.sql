drop table app_public.persona_history;
