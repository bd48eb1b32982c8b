-- Extra rows for the security suites, loaded after sql/seeds/demo.sql (which covers users,
-- projects, budgets, policies, requests, payments and ai_jobs). Every table gets live rows of
-- alice (…8000-…03) and bob (…8000-…04), and soft-deleted rows of both, so that isolation and
-- soft-delete checks are never vacuous. The suite fails when an exposed table has none.
begin;

-- A soft-deleted user.
insert into app_public.users (user_id, email, role, deleted_at) values
  ('00000000-0000-4000-8000-0000000000e1', 'erin@example.com', 'user', now() - interval '1 day');

-- Soft-deleted rows in the tables the demo data fills.
insert into app_public.projects (project_id, user_id, name, deleted_at) values
  ('00000000-0000-4000-9000-0000000000a1', '00000000-0000-4000-8000-000000000003', 'Alice old project', now() - interval '1 day'),
  ('00000000-0000-4000-9000-0000000000b1', '00000000-0000-4000-8000-000000000004', 'Bob old project', now() - interval '1 day'),
  ('00000000-0000-4000-9000-0000000000b2', '00000000-0000-4000-8000-000000000004', 'Bob second project', null);
insert into app_public.budgets (id, user_id, project_id, monthly_limit, deleted_at) values
  ('00000000-0000-4000-a000-0000000000a1', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-9000-000000000002', 10, now() - interval '1 day'),
  ('00000000-0000-4000-a000-0000000000b1', '00000000-0000-4000-8000-000000000004', '00000000-0000-4000-9000-000000000003', 10, now() - interval '1 day');
insert into app_public.policies (id, user_id, project_id, deleted_at) values
  ('00000000-0000-4000-b000-0000000000a1', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-9000-000000000002', now() - interval '1 day'),
  ('00000000-0000-4000-b000-0000000000b1', '00000000-0000-4000-8000-000000000004', '00000000-0000-4000-9000-000000000003', now() - interval '1 day');
insert into app_public.requests (request_id, user_id, project_id, api_provider, model_name, estimated_cost, status, deleted_at) values
  ('00000000-0000-4000-c000-0000000000a1', '00000000-0000-4000-8000-000000000003', null, 'openai', 'gpt-4o-mini', 0.5, 'cancelled', now() - interval '1 day'),
  ('00000000-0000-4000-c000-0000000000b1', '00000000-0000-4000-8000-000000000004', null, 'openai', 'gpt-4o-mini', 0.5, 'cancelled', now() - interval '1 day');
insert into app_public.payments (payment_id, user_id, amount, currency, network, status, deleted_at) values
  ('00000000-0000-4000-d000-0000000000a1', '00000000-0000-4000-8000-000000000003', 7, 'USD', 'card', 'failed', now() - interval '1 day'),
  ('00000000-0000-4000-d000-0000000000b1', '00000000-0000-4000-8000-000000000004', 7, 'USD', 'card', 'failed', now() - interval '1 day');
insert into app_public.ai_jobs (job_id, user_id, project_id, provider, model_name, status, cost, deleted_at) values
  ('00000000-0000-4000-e000-0000000000a1', '00000000-0000-4000-8000-000000000003', null, 'openai', 'gpt-4o-mini', 'cancelled', null, now() - interval '1 day'),
  ('00000000-0000-4000-e000-0000000000b1', '00000000-0000-4000-8000-000000000004', '00000000-0000-4000-9000-000000000003', 'openai', 'gpt-4o-mini', 'completed', 0.25, null),
  ('00000000-0000-4000-e000-0000000000b2', '00000000-0000-4000-8000-000000000004', null, 'glm', 'glm-4', 'failed', null, now() - interval '1 day');

-- Tables the demo data leaves empty.
insert into app_public.api_keys (user_id, name, key_hash, key_prefix, deleted_at)
select user_id::uuid, name, encode(public.digest(name, 'sha256'), 'hex'), 'sg_live_', deleted_at
  from (values
    ('00000000-0000-4000-8000-000000000003', 'alice-agent', null::timestamptz),
    ('00000000-0000-4000-8000-000000000003', 'alice-retired', now() - interval '1 day'),
    ('00000000-0000-4000-8000-000000000004', 'bob-agent', null),
    ('00000000-0000-4000-8000-000000000004', 'bob-retired', now() - interval '1 day'),
    ('00000000-0000-4000-8000-000000000005', 'carol-agent', null)
  ) as k(user_id, name, deleted_at);

insert into app_public.sessions (session_id, user_id, refresh_token, expires_at, deleted_at)
select session_id::uuid, user_id::uuid, encode(public.digest(session_id, 'sha256'), 'hex'), now() + interval '30 days', deleted_at
  from (values
    ('00000000-0000-4000-f100-0000000000a1', '00000000-0000-4000-8000-000000000003', null::timestamptz),
    ('00000000-0000-4000-f100-0000000000a2', '00000000-0000-4000-8000-000000000003', now() - interval '1 day'),
    ('00000000-0000-4000-f100-0000000000b1', '00000000-0000-4000-8000-000000000004', null),
    ('00000000-0000-4000-f100-0000000000b2', '00000000-0000-4000-8000-000000000004', now() - interval '1 day')
  ) as s(session_id, user_id, deleted_at);

insert into app_public.data_uploads (upload_id, user_id, file_name, file_size, file_type, status, validation_errors, deleted_at) values
  ('00000000-0000-4000-f200-0000000000a1', '00000000-0000-4000-8000-000000000003', 'alice.csv', 1200, 'csv', 'completed', null, null),
  ('00000000-0000-4000-f200-0000000000a2', '00000000-0000-4000-8000-000000000003', 'alice-old.json', 80, 'json', 'failed', '["bad row"]', now() - interval '1 day'),
  ('00000000-0000-4000-f200-0000000000b1', '00000000-0000-4000-8000-000000000004', 'bob.json', 999, 'json', 'pending', null, null),
  ('00000000-0000-4000-f200-0000000000b2', '00000000-0000-4000-8000-000000000004', 'bob-old.csv', 5, 'csv', 'failed', null, now() - interval '1 day');

-- Users see only their approved recommendations; alice's pending one stays hidden from her.
insert into app_public.recommendations (recommendation_id, user_id, type, title, status, approved_by, deleted_at) values
  ('00000000-0000-4000-f300-0000000000a1', '00000000-0000-4000-8000-000000000003', 'education', 'Cap your daily spend', 'approved', '00000000-0000-4000-8000-000000000002', null),
  ('00000000-0000-4000-f300-0000000000a2', '00000000-0000-4000-8000-000000000003', 'partner_offer', 'Cheaper tokens', 'pending', null, null),
  ('00000000-0000-4000-f300-0000000000a3', '00000000-0000-4000-8000-000000000003', 'education', 'Old advice', 'approved', null, now() - interval '1 day'),
  ('00000000-0000-4000-f300-0000000000b1', '00000000-0000-4000-8000-000000000004', 'education', 'Try a smaller model', 'approved', '00000000-0000-4000-8000-000000000002', null),
  ('00000000-0000-4000-f300-0000000000b2', '00000000-0000-4000-8000-000000000004', 'partner_offer', 'Bob pending offer', 'pending', null, null),
  ('00000000-0000-4000-f300-0000000000b3', '00000000-0000-4000-8000-000000000004', 'education', 'Bob old advice', 'approved', null, now() - interval '1 day');

-- One profile per user (unique user_id): the soft-deleted one belongs to carol.
insert into app_public.user_profiles (profile_id, user_id, persona_id, persona_name, signals_30d, deleted_at) values
  ('00000000-0000-4000-f400-0000000000a1', '00000000-0000-4000-8000-000000000003', 2, 'Builder', '{"requests": 5}', null),
  ('00000000-0000-4000-f400-0000000000b1', '00000000-0000-4000-8000-000000000004', 1, 'Explorer', '{"requests": 2}', null),
  ('00000000-0000-4000-f400-0000000000c1', '00000000-0000-4000-8000-000000000005', 3, 'Trader', '{}', now() - interval '1 day');

insert into app_public.persona_history (history_id, user_id, persona_id, persona_name, deleted_at) values
  ('00000000-0000-4000-f500-0000000000a1', '00000000-0000-4000-8000-000000000003', 1, 'Explorer', null),
  ('00000000-0000-4000-f500-0000000000a2', '00000000-0000-4000-8000-000000000003', 2, 'Builder', null),
  ('00000000-0000-4000-f500-0000000000a3', '00000000-0000-4000-8000-000000000003', 4, 'Old', now() - interval '1 day'),
  ('00000000-0000-4000-f500-0000000000b1', '00000000-0000-4000-8000-000000000004', 1, 'Explorer', null),
  ('00000000-0000-4000-f500-0000000000b2', '00000000-0000-4000-8000-000000000004', 5, 'Old', now() - interval '1 day');

-- Transactions read from alice's and bob's uploads (a deleted one each).
insert into app_public.upload_transactions (upload_transaction_id, upload_id, user_id, row_number, occurred_at, provider, model, cost, currency, deleted_at) values
  ('00000000-0000-4000-f600-0000000000a1', '00000000-0000-4000-f200-0000000000a1', '00000000-0000-4000-8000-000000000003', 1, now(), 'openai', 'gpt-4o', 1.5, 'USD', null),
  ('00000000-0000-4000-f600-0000000000a2', '00000000-0000-4000-f200-0000000000a1', '00000000-0000-4000-8000-000000000003', 2, now(), 'openai', 'gpt-4o', 2, 'USD', now() - interval '1 day'),
  ('00000000-0000-4000-f600-0000000000b1', '00000000-0000-4000-f200-0000000000b1', '00000000-0000-4000-8000-000000000004', 1, now(), 'anthropic', 'claude', 0.5, 'USD', null),
  ('00000000-0000-4000-f600-0000000000b2', '00000000-0000-4000-f200-0000000000b1', '00000000-0000-4000-8000-000000000004', 2, now(), 'anthropic', 'claude', 1, 'USD', now() - interval '1 day');

-- Alert events (before the webhooks, so that none is queued for delivery), webhooks and the
-- record of one delivery attempt each.
insert into app_public.alert_events (event_id, user_id, kind, payload, deleted_at) values
  ('00000000-0000-4000-f700-0000000000a1', '00000000-0000-4000-8000-000000000003', 'threshold_crossed', '{"threshold": 80}', null),
  ('00000000-0000-4000-f700-0000000000a2', '00000000-0000-4000-8000-000000000003', 'hold_expired', '{}', now() - interval '1 day'),
  ('00000000-0000-4000-f700-0000000000b1', '00000000-0000-4000-8000-000000000004', 'threshold_crossed', '{"threshold": 100}', null),
  ('00000000-0000-4000-f700-0000000000b2', '00000000-0000-4000-8000-000000000004', 'rejections_exceeded', '{}', now() - interval '1 day');
insert into app_public.webhooks (webhook_id, user_id, url, events, deleted_at) values
  ('00000000-0000-4000-f800-0000000000a1', '00000000-0000-4000-8000-000000000003', 'https://alice.example.com/hook', '{threshold_crossed}', null),
  ('00000000-0000-4000-f800-0000000000a2', '00000000-0000-4000-8000-000000000003', 'https://alice.example.com/old', '{hold_expired}', now() - interval '1 day'),
  ('00000000-0000-4000-f800-0000000000b1', '00000000-0000-4000-8000-000000000004', 'https://bob.example.com/hook', '{threshold_crossed}', null),
  ('00000000-0000-4000-f800-0000000000b2', '00000000-0000-4000-8000-000000000004', 'https://bob.example.com/old', '{threshold_crossed}', now() - interval '1 day');
insert into app_public.webhook_deliveries (delivery_id, webhook_id, event_id, user_id, attempt, status_code, succeeded, duration_ms, deleted_at) values
  ('00000000-0000-4000-f900-0000000000a1', '00000000-0000-4000-f800-0000000000a1', '00000000-0000-4000-f700-0000000000a1', '00000000-0000-4000-8000-000000000003', 1, 200, true, 12, null),
  ('00000000-0000-4000-f900-0000000000a2', '00000000-0000-4000-f800-0000000000a1', '00000000-0000-4000-f700-0000000000a1', '00000000-0000-4000-8000-000000000003', 2, 503, false, 9, now() - interval '1 day'),
  ('00000000-0000-4000-f900-0000000000b1', '00000000-0000-4000-f800-0000000000b1', '00000000-0000-4000-f700-0000000000b1', '00000000-0000-4000-8000-000000000004', 1, 200, true, 15, null),
  ('00000000-0000-4000-f900-0000000000b2', '00000000-0000-4000-f800-0000000000b1', '00000000-0000-4000-f700-0000000000b1', '00000000-0000-4000-8000-000000000004', 2, 500, false, 7, now() - interval '1 day');

-- Daily spend rollups as settlements leave them (written here directly: the fixtures' requests
-- are not settled through complete_request), and platform-wide rows, which no user reads.
insert into app_public.daily_spend (daily_spend_id, day, user_id, api_provider, model_name, settled_requests, actual_cost, settled_cost, deleted_at) values
  ('00000000-0000-4000-fa00-0000000000a1', current_date, '00000000-0000-4000-8000-000000000003', 'openai', 'gpt-4o', 2, 1.5, 1.5, null),
  ('00000000-0000-4000-fa00-0000000000a2', current_date - 1, '00000000-0000-4000-8000-000000000003', 'openai', 'gpt-4o', 1, 0.5, 0.5, now() - interval '1 day'),
  ('00000000-0000-4000-fa00-0000000000b1', current_date, '00000000-0000-4000-8000-000000000004', 'anthropic', 'claude', 1, 0.25, 0.25, null),
  ('00000000-0000-4000-fa00-0000000000b2', current_date - 1, '00000000-0000-4000-8000-000000000004', 'anthropic', 'claude', 1, 0.75, 0.75, now() - interval '1 day');
insert into app_public.platform_daily_spend (platform_daily_spend_id, day, api_provider, model_name, shard, settled_requests, actual_cost, settled_cost, deleted_at) values
  ('00000000-0000-4000-fb00-000000000001', current_date, 'openai', 'gpt-4o', 0, 2, 1.5, 1.5, null),
  ('00000000-0000-4000-fb00-000000000002', current_date - 1, 'openai', 'gpt-4o', 0, 1, 0.5, 0.5, now() - interval '1 day');

commit;
