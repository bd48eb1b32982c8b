alter table app_public.payments drop column credited_amount;
alter table app_public.requests drop column settled_cost, drop column outstanding_cost;
