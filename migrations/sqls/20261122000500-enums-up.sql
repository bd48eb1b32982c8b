-- Why: the seeds require native PostgreSQL enum types with their exact names and values
-- (seed 000: SmartSpace; seed 002: PasteTrader, snake case; seed 003: SpendSense). They live in
-- app_public so PostGraphile exposes them as GraphQL enums. Adding a value later is
-- `alter type ... add value` in its own migration; removing one needs a new type.

-- seed 000
create type app_public.accountstatus as enum ('active', 'suspended', 'inactive');
comment on type app_public.accountstatus is 'Whether a user account may be used: active, suspended (blocked by an admin) or inactive.';
create type app_public.usertier as enum ('free', 'pro', 'enterprise');
comment on type app_public.usertier is 'The plan a user is on.';
create type app_public.apikeystatus as enum ('active', 'revoked');
comment on type app_public.apikeystatus is 'Whether an API key is accepted (active) or not any more (revoked, permanent).';
create type app_public.paymentstatus as enum ('pending', 'completed', 'failed', 'cancelled');
comment on type app_public.paymentstatus is 'Settlement state of a payment.';
create type app_public.requeststatus as enum ('pending', 'validating', 'approved', 'rejected', 'executing', 'executed', 'failed', 'cancelled');
comment on type app_public.requeststatus is 'Life cycle of an agent''s request to call a model provider: checked against policy and budget, then approved or rejected, then executed.';

-- seed 002
create type app_public.node_type as enum ('trigger', 'tool', 'agent', 'condition', 'adapter', 'parallel', 'aggregator');
comment on type app_public.node_type is 'Kind of workflow node that produced an AI job.';
create type app_public.tool_type as enum ('http', 'mcp', 'python', 'shell', 'builtin');
comment on type app_public.tool_type is 'Mechanism a tool node executes with.';
create type app_public.model_provider as enum ('anthropic', 'openai', 'glm');
comment on type app_public.model_provider is 'LLM provider an AI job runs on.';
create type app_public.execution_status as enum ('pending', 'running', 'completed', 'failed', 'skipped', 'cancelled');
comment on type app_public.execution_status is 'Execution state of an AI job.';
create type app_public.auth_mode as enum ('oauth', 'standalone', 'sdk', 'glm');
comment on type app_public.auth_mode is 'How an AI job authenticated against its provider.';
create type app_public.trigger_type as enum ('schedule', 'event', 'manual');
comment on type app_public.trigger_type is 'What started an AI job.';

-- seed 003
create type app_public.user_role as enum ('user', 'operator', 'admin');
comment on type app_public.user_role is 'Privilege level of a user; the gateway maps it to the database role spendgate_user, spendgate_operator or spendgate_admin.';
create type app_public.file_type as enum ('json', 'csv');
comment on type app_public.file_type is 'Format of an uploaded data file.';
create type app_public.upload_status as enum ('pending', 'processing', 'completed', 'failed');
comment on type app_public.upload_status is 'Processing state of an uploaded data file.';
create type app_public.recommendation_type as enum ('education', 'partner_offer');
comment on type app_public.recommendation_type is 'Kind of recommendation shown to a user.';
create type app_public.recommendation_status as enum ('pending', 'approved', 'rejected');
comment on type app_public.recommendation_status is 'Review state of a recommendation; users only see approved ones.';
