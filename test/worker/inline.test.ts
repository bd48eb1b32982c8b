// With WORKER=inline (the default) the gateway process runs graphile-worker: a job added to the
// queue is picked up and run by the tasks in src/tasks/, here reset_budgets.
import test from "ava";
import { quickAddJob } from "graphile-worker";
import { useTestGateway } from "../helpers/gateway.ts";
import { createUser } from "../helpers/fixtures.ts";

const ctx = useTestGateway({ WORKER: "inline" });

test("a reset_budgets job added to the queue is run by the gateway's inline worker", async (t) => {
  const userId = await createUser(ctx.db.ownerPool, { email: "worker@example.com" });
  // A budget whose day ended yesterday, with spending to reset.
  const { rows } = await ctx.db.ownerPool.query(
    `insert into app_public.budgets (user_id, daily_limit, current_daily_spending, daily_period_start)
     values ($1, 10, 4, date_trunc('day', now() at time zone 'utc') at time zone 'utc' - interval '1 day')
     returning id`,
    [userId],
  );
  const worker = ctx.gateway.worker;
  t.truthy(worker, "the inline worker runs");
  const succeeded = new Promise<string>((resolve) => worker!.runner.events.on("job:success", ({ job }) => resolve(job.task_identifier)));
  await quickAddJob({ pgPool: ctx.db.ownerPool }, "reset_budgets", {});
  t.is(await succeeded, "reset_budgets");
  const after = await ctx.db.ownerPool.query("select current_daily_spending from app_public.budgets where id = $1", [rows[0].id]);
  t.is(after.rows[0].current_daily_spending, "0.00000000");
});
