-- Demo data for trying the API in Ruru (`npm run db:seed`). NEVER load it in production: the
-- seed command refuses when NODE_ENV=production. Idempotent: fixed ids and `on conflict do
-- nothing`, so running it again changes nothing (and never overwrites what you edited).
--
-- Demo logins (all with the password  password123 ):
--   admin@spendgate.dev   admin     enterprise
--   ops@spendgate.dev     operator  pro
--   alice@example.com     user      pro         two projects, budgets, policies, requests, payments
--   bob@example.com       user      free        tight budget, one allowed model
--   carol@example.com     user      enterprise  large budget, a pending payment
--   dave@example.com      user      free        account suspended (login is refused)

begin;

insert into app_public.users
  (user_id, email, password_hash, role, tier, account_status, consent_status, consent_version,
   total_spending, available_balance, total_requests, last_request_at, created_at)
values
  ('00000000-0000-4000-8000-000000000001', 'admin@spendgate.dev', public.crypt('password123', public.gen_salt('bf', 8)),
   'admin', 'enterprise', 'active', true, '1.0', 0, 0, 0, null, now() - interval '90 days'),
  ('00000000-0000-4000-8000-000000000002', 'ops@spendgate.dev', public.crypt('password123', public.gen_salt('bf', 8)),
   'operator', 'pro', 'active', true, '1.0', 0, 0, 0, null, now() - interval '60 days'),
  ('00000000-0000-4000-8000-000000000003', 'alice@example.com', public.crypt('password123', public.gen_salt('bf', 8)),
   'user', 'pro', 'active', true, '1.0', 3.51250000, 196.48750000, 5, now() - interval '2 hours', now() - interval '45 days'),
  ('00000000-0000-4000-8000-000000000004', 'bob@example.com', public.crypt('password123', public.gen_salt('bf', 8)),
   'user', 'free', 'active', true, '1.0', 0.04200000, 4.95800000, 2, now() - interval '1 day', now() - interval '20 days'),
  ('00000000-0000-4000-8000-000000000005', 'carol@example.com', public.crypt('password123', public.gen_salt('bf', 8)),
   'user', 'enterprise', 'active', true, '1.0', 12.00000000, 988.00000000, 1, now() - interval '3 days', now() - interval '30 days'),
  ('00000000-0000-4000-8000-000000000006', 'dave@example.com', public.crypt('password123', public.gen_salt('bf', 8)),
   'user', 'free', 'suspended', false, '1.0', 0, 0, 0, null, now() - interval '10 days')
on conflict do nothing;

insert into app_public.projects (project_id, user_id, name, description, created_at) values
  ('00000000-0000-4000-9000-000000000001', '00000000-0000-4000-8000-000000000003', 'Research agent',
   'Summarises papers every morning.', now() - interval '40 days'),
  ('00000000-0000-4000-9000-000000000002', '00000000-0000-4000-8000-000000000003', 'Support bot',
   'Answers customer emails.', now() - interval '30 days'),
  ('00000000-0000-4000-9000-000000000003', '00000000-0000-4000-8000-000000000004', 'Side project',
   'Weekend experiments.', now() - interval '15 days'),
  ('00000000-0000-4000-9000-000000000004', '00000000-0000-4000-8000-000000000005', 'Trading desk',
   'Market research agents.', now() - interval '25 days')
on conflict do nothing;

-- Budgets: project_id null = all of the user's projects.
insert into app_public.budgets
  (id, user_id, project_id, daily_limit, monthly_limit, per_request_limit, current_daily_spending, current_monthly_spending)
values
  ('00000000-0000-4000-a000-000000000001', '00000000-0000-4000-8000-000000000003', null, 50, 500, 5, 0.01250000, 3.51250000),
  ('00000000-0000-4000-a000-000000000002', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-9000-000000000001', null, 200, null, 0.01250000, 3.01250000),
  ('00000000-0000-4000-a000-000000000003', '00000000-0000-4000-8000-000000000004', null, 2, 20, 0.5, 0, 0.04200000),
  ('00000000-0000-4000-a000-000000000004', '00000000-0000-4000-8000-000000000005', null, null, 10000, 100, 0, 12.00000000)
on conflict do nothing;

insert into app_public.policies
  (id, user_id, project_id, allowed_providers, allowed_models, rate_limits, forbidden_operations, require_approval_above)
values
  ('00000000-0000-4000-b000-000000000001', '00000000-0000-4000-8000-000000000003', null,
   '["anthropic", "openai"]', '[]', '{"per_minute": 60}', '[]', 2),
  ('00000000-0000-4000-b000-000000000002', '00000000-0000-4000-8000-000000000004', null,
   '["openai"]', '["gpt-4o-mini"]', '{"per_minute": 10}', '["images.generate"]', null),
  ('00000000-0000-4000-b000-000000000003', '00000000-0000-4000-8000-000000000005', null,
   '[]', '[]', '{}', '["fine_tuning.create"]', 50)
on conflict do nothing;

insert into app_public.requests
  (request_id, user_id, project_id, agent_id, api_provider, model_name, endpoint, parameters, status,
   estimated_cost, actual_cost, reason, created_at)
values
  ('00000000-0000-4000-c000-000000000001', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-9000-000000000001',
   'research-1', 'anthropic', 'claude-sonnet', 'messages', '{"max_tokens": 4000}', 'executed', 1.50000000, 1.20000000, null, now() - interval '6 days'),
  ('00000000-0000-4000-c000-000000000002', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-9000-000000000001',
   'research-1', 'anthropic', 'claude-sonnet', 'messages', '{"max_tokens": 8000}', 'executed', 1.80000000, 1.80000000, null, now() - interval '3 days'),
  ('00000000-0000-4000-c000-000000000003', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-9000-000000000002',
   'support-bot', 'openai', 'gpt-4o-mini', 'chat.completions', '{"temperature": 0.2}', 'executed', 0.50000000, 0.50000000, null, now() - interval '2 days'),
  ('00000000-0000-4000-c000-000000000004', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-9000-000000000001',
   'research-1', 'anthropic', 'claude-opus', 'messages', '{"max_tokens": 32000}', 'pending', 4.00000000, null, 'approval_required', now() - interval '3 hours'),
  ('00000000-0000-4000-c000-000000000005', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-9000-000000000001',
   'research-1', 'openai', 'gpt-4o-mini', 'chat.completions', '{}', 'approved', 0.01250000, null, null, now() - interval '2 hours'),
  ('00000000-0000-4000-c000-000000000006', '00000000-0000-4000-8000-000000000004', '00000000-0000-4000-9000-000000000003',
   'tinkerer', 'openai', 'gpt-4o-mini', 'chat.completions', '{}', 'executed', 0.04200000, 0.04200000, null, now() - interval '1 day'),
  ('00000000-0000-4000-c000-000000000007', '00000000-0000-4000-8000-000000000004', '00000000-0000-4000-9000-000000000003',
   'tinkerer', 'anthropic', 'claude-opus', 'messages', '{}', 'rejected', 3.00000000, null, 'provider_not_allowed', now() - interval '1 day'),
  ('00000000-0000-4000-c000-000000000008', '00000000-0000-4000-8000-000000000005', '00000000-0000-4000-9000-000000000004',
   'desk-analyst', 'openai', 'gpt-4.1', 'responses', '{"reasoning": "high"}', 'executed', 12.00000000, 12.00000000, null, now() - interval '3 days')
on conflict do nothing;

insert into app_public.payments
  (payment_id, user_id, request_id, amount, currency, network, tx_hash, block_number, status, created_at)
values
  ('00000000-0000-4000-d000-000000000001', '00000000-0000-4000-8000-000000000003', null, 200, 'USDC', 'base',
   '0x5e1f0c2a9b7d4e3f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081', 23456789, 'completed', now() - interval '44 days'),
  ('00000000-0000-4000-d000-000000000002', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-c000-000000000002', 1.80000000, 'USD', 'card',
   null, null, 'completed', now() - interval '3 days'),
  ('00000000-0000-4000-d000-000000000003', '00000000-0000-4000-8000-000000000004', null, 5, 'USD', 'card',
   null, null, 'completed', now() - interval '19 days'),
  ('00000000-0000-4000-d000-000000000004', '00000000-0000-4000-8000-000000000005', null, 1000, 'USDC', 'ethereum',
   '0x9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9', 19876543, 'completed', now() - interval '29 days'),
  ('00000000-0000-4000-d000-000000000005', '00000000-0000-4000-8000-000000000005', null, 250, 'EUR', 'sepa',
   null, null, 'pending', now() - interval '1 day')
on conflict do nothing;

insert into app_public.ai_jobs
  (job_id, user_id, project_id, provider, model_name, status, node_type, trigger_type, input, output, cost, started_at, completed_at, created_at)
values
  ('00000000-0000-4000-e000-000000000001', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-9000-000000000001',
   'anthropic', 'claude-sonnet', 'completed', 'agent', 'schedule', '{"topic": "retrieval"}', '{"summary": "..."}', 1.20000000,
   now() - interval '6 days', now() - interval '6 days' + interval '40 seconds', now() - interval '6 days'),
  ('00000000-0000-4000-e000-000000000002', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-9000-000000000002',
   'openai', 'gpt-4o-mini', 'failed', 'tool', 'event', '{"ticket": 4711}', null, null,
   now() - interval '2 days', now() - interval '2 days' + interval '3 seconds', now() - interval '2 days')
on conflict do nothing;

commit;
