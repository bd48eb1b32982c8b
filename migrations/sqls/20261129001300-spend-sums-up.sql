-- Why: the aggregates clients read must mean what they say. Summing requests.estimated_cost
-- counts what agents asked for, rejected requests included (nothing was ever reserved for them),
-- and payments.amount counts top-ups that were never credited. Two generated columns on
-- requests and one on payments give the sums a user means, kept by the database from the
-- ledger's own state (migration 20261122003000), so they cannot drift from it:
-- * requests.outstanding_cost  reserved now and not settled yet (pending, approved, executing);
-- * requests.settled_cost      what executed requests really cost (actual_cost);
-- * payments.credited_amount   what completed payments added to the balance.
-- Rejected, failed and cancelled requests contribute 0 to both request sums. Stored, so that
-- aggregates read them like any column (sum, average, grouped by provider or day).

alter table app_public.requests
  add column outstanding_cost numeric(20,8) not null
    generated always as (case when status in ('pending', 'approved', 'executing') then reserved_cost else 0 end) stored,
  add column settled_cost numeric(20,8) not null
    generated always as (case when status = 'executed' then coalesce(actual_cost, 0) else 0 end) stored;
comment on column app_public.requests.outstanding_cost is
  'Reserved against budgets and balance and not settled yet: the reserved cost while the request is pending, approved or executing; 0 otherwise (rejected requests never reserve). Sum it for "reserved now".';
comment on column app_public.requests.settled_cost is
  'What the request really cost: its actual cost once executed; 0 before, and for rejected, failed or cancelled requests. Sum it for "spent".';
grant select (outstanding_cost, settled_cost) on app_public.requests to spendgate_user;

alter table app_public.payments
  add column credited_amount numeric(20,8) not null
    generated always as (case when status = 'completed' then amount else 0 end) stored;
comment on column app_public.payments.credited_amount is
  'What the payment added to the balance: its amount once completed; 0 while pending and for failed or cancelled payments. Sum it for "paid in".';
grant select (credited_amount) on app_public.payments to spendgate_user;
