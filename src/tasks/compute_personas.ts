// Task `compute_personas` (crontab: src/worker/crontab.ts, nightly; or added with payload
// `{ "userId": "<uuid>" }` for one user on demand). Signals, persona, profile and pending
// recommendations of every active, consenting user in one set-based statement
// (app_private.compute_personas, sql/6430-personas.sql). The cron run's own timestamp is the end
// of the windows, so a backfilled or retried run computes what it would have on time; the SQL
// writes only what changed, so running twice changes nothing.
import type { Task } from "graphile-worker";

interface ComputePersonasPayload {
  userId?: string;
  _cron?: { ts?: string };
}

const computePersonas: Task = async (payload, helpers) => {
  const { userId, _cron } = (payload ?? {}) as ComputePersonasPayload;
  const asOf = _cron?.ts ?? null;
  const { rows } = await helpers.withPgClient((client) =>
    client.query<{ profiles_changed: number; recommendations_proposed: number }>(
      "select * from app_private.compute_personas(coalesce($1::timestamptz, now()), $2::uuid)",
      [asOf, userId ?? null],
    ),
  );
  const { profiles_changed: profiles, recommendations_proposed: recommendations } = rows[0]!;
  helpers.logger.info(`compute_personas: ${profiles} profile(s) changed, ${recommendations} recommendation(s) proposed`, { profiles, recommendations, userId, asOf });
};

export default computePersonas;
