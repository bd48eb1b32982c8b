// Spend insights through HTTP, as each role meets them: a consenting user's recorded spending
// becomes signals and one of five personas (on demand here; nightly in personas-job.test.ts),
// every persona change appends history with its signals whoever makes it, the job proposes
// recommendations that only operators decide on (pending -> approved | rejected, final, a reason
// for rejections, stamps never rewritten), users see only approved ones, and revoking consent
// deletes what was derived. Past spending is written as the owner (requests with old
// timestamps), the only step no client can do.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { bootstrapAdmin, promote, register, type Account } from "../api/client.ts";

let admin: Account;
let operator: Account;
const ctx = useTestGateway({}, async ({ db, gateway }) => {
  admin = await bootstrapAdmin(gateway.url, db.ownerUrl);
  operator = await promote(admin, await register(gateway.url), "operator");
});

const PROFILE = "personaId personaName signals30D signals180D";
const REC = "recommendationId rule type title rationale decisionTrace status approvedBy approvedAt rejectedBy rejectedAt rejectionReason";

async function consenting(): Promise<Account> {
  const user = await register(ctx.gateway.url);
  await user.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {consentStatus: true}}) { user { consentStatus } } }", { id: user.userId });
  return user;
}

/** Executed requests `daysAgo` days back, costing `cost` each (as the gateway would have recorded them). */
async function spent(userId: string, entries: { daysAgo: number; cost: number; provider?: string; status?: "executed" | "rejected" }[]) {
  for (const e of entries) {
    await ctx.db.ownerPool.query(
      `insert into app_public.requests (user_id, api_provider, model_name, status, estimated_cost, actual_cost, created_at)
       values ($1, $2, 'model-a', $3, $4, $5, now() - make_interval(days => $6))`,
      [userId, e.provider ?? "openai", e.status ?? "executed", e.cost, e.status === "rejected" ? null : e.cost, e.daysAgo],
    );
  }
}

/** 29 days of spending, tripled in the last 15: a growing user (trend >= 1.5). */
const growing = (userId: string) =>
  spent(userId, Array.from({ length: 29 }, (_, i) => ({ daysAgo: i + 1, cost: i < 14 ? 3 : 1, provider: i % 2 ? "anthropic" : "openai" })));

const compute = (who: Account, userId: string) =>
  who.client.post(`mutation($u: UUID!) { computePersona(input: {userId: $u}) { userProfile { ${PROFILE} } } }`, { u: userId });

const codes = (response: { body: { errors?: { extensions?: { code?: string } }[] } }) => response.body.errors?.map((e) => e.extensions?.code);

test("a consenting user's recorded spending gives 30- and 180-day signals and a persona, on demand; users read their own profile, operators any", async (t) => {
  const user = await consenting();
  await growing(user.userId);
  const response = await compute(user, user.userId);
  t.is(response.status, 200, JSON.stringify(response.body));
  const profile = response.body.data.computePersona.userProfile;
  t.like(profile, { personaId: 3, personaName: "growing" });
  t.like(profile.signals30D, { requests: 29, active_days: 29, total_spend: 57, trend: 2.8, rejection_rate: 0 });
  t.deepEqual(profile.signals30D.share_by_provider, { openai: 0.5088, anthropic: 0.4912 });
  t.is(profile.signals180D.requests, 29);

  const mine = await user.client.data(`{ userProfiles { nodes { userId ${PROFILE} } } }`);
  t.deepEqual(mine.userProfiles.nodes.map((p: any) => p.userId), [user.userId]);
  const other = await register(ctx.gateway.url);
  t.is((await other.client.data(`{ userProfiles { totalCount } }`)).userProfiles.totalCount, 0);
  t.deepEqual(codes(await compute(other, user.userId)), ["SGOPR"], "a user computes only their own persona");
  const byOperator = await operator.client.data(`query($u: UUID!) { userProfiles(condition: {userId: $u}) { nodes { personaId } } }`, { u: user.userId });
  t.deepEqual(byOperator.userProfiles.nodes, [{ personaId: 3 }]);
  t.like((await compute(operator, user.userId)).body.data.computePersona.userProfile, { personaId: 3 }, "operators compute anyone's");
});

test("the five personas follow the documented rules", async (t) => {
  const cases: [number, string, (id: string) => Promise<void>][] = [
    [5, "dormant", async () => undefined],
    [4, "at_risk", (id) => spent(id, [{ daysAgo: 1, cost: 1 }, { daysAgo: 2, cost: 1, status: "rejected" }, { daysAgo: 20, cost: 1 }])],
    [3, "growing", growing],
    [2, "bursty", (id) => spent(id, [{ daysAgo: 20, cost: 10 }, { daysAgo: 3, cost: 1 }, { daysAgo: 5, cost: 1 }, { daysAgo: 25, cost: 1 }])],
    [1, "steady", (id) => spent(id, Array.from({ length: 28 }, (_, i) => ({ daysAgo: i + 1, cost: 2 })))],
  ];
  for (const [personaId, personaName, history] of cases) {
    const user = await consenting();
    await history(user.userId);
    t.like((await compute(user, user.userId)).body.data?.computePersona.userProfile, { personaId, personaName }, personaName);
  }
});

test("every change of persona appends history with the signals that caused it, whoever changes the profile; queryable by time", async (t) => {
  const user = await consenting();
  await compute(user, user.userId); // dormant
  await growing(user.userId);
  await compute(user, user.userId); // growing
  await compute(user, user.userId); // unchanged: no new row
  // An admin sets the persona by hand: the trigger records it too.
  const { userProfiles } = await admin.client.data(`query($u: UUID!) { userProfiles(condition: {userId: $u}) { nodes { profileId } } }`, { u: user.userId });
  await admin.client.data(`mutation($id: UUID!) { updateUserProfile(input: {profileId: $id, patch: {personaId: 1, personaName: "steady"}}) { userProfile { personaId } } }`, { id: userProfiles.nodes[0].profileId });
  const history = await user.client.data(
    `query($u: UUID!) { personaHistories(condition: {userId: $u}, orderBy: ASSIGNED_AT_DESC) { nodes { personaId personaName assignedAt signals } } }`,
    { u: user.userId },
  );
  const nodes = history.personaHistories.nodes;
  t.deepEqual(nodes.map((h: any) => h.personaId).sort(), [1, 3, 5]);
  const growingRow = nodes.find((h: any) => h.personaId === 3);
  t.like(growingRow.signals.signals_30d, { requests: 29, trend: 2.8 });
  t.truthy(growingRow.signals.signals_180d);
  t.is(nodes.find((h: any) => h.personaId === 5).signals.signals_30d.requests, 0);
  const stranger = await register(ctx.gateway.url);
  t.is((await stranger.client.data(`query($u: UUID!) { personaHistories(condition: {userId: $u}) { totalCount } }`, { u: user.userId })).personaHistories.totalCount, 0);
});

test("without consent nothing is computed", async (t) => {
  const user = await register(ctx.gateway.url);
  await growing(user.userId);
  t.deepEqual(codes(await compute(user, user.userId)), ["SGCNS"]);
  t.deepEqual(codes(await compute(operator, user.userId)), ["SGCNS"]);
  t.is((await operator.client.data(`query($u: UUID!) { userProfiles(condition: {userId: $u}) { totalCount } }`, { u: user.userId })).userProfiles.totalCount, 0);
});

test("the job proposes pending recommendations with rationale and decision trace; users see only approved ones; operators decide, once", async (t) => {
  const user = await consenting();
  await growing(user.userId);
  await compute(user, user.userId);
  t.is((await user.client.data(`{ recommendations { totalCount } }`)).recommendations.totalCount, 0, "nothing before approval");

  // The operator's approval queue.
  const queue = await operator.client.data(
    `query($u: UUID!) { recommendations(condition: {userId: $u, status: pending}, orderBy: CREATED_AT_ASC) { nodes { ${REC} } } }`,
    { u: user.userId },
  );
  t.is(queue.recommendations.nodes.length, 1);
  const rec = queue.recommendations.nodes[0];
  t.like(rec, { rule: "volume_pricing", type: "partner_offer", status: "pending", rationale: "Your spending in the last 15 days was 2.80 times that of the 15 days before." });
  t.like(rec.decisionTrace, { rule: "volume_pricing", persona_id: 3, persona_name: "growing", persona_rule: "trend >= 1.5", window_days: 30 });
  t.like(rec.decisionTrace.signals, { trend: 2.8, total_spend: 57 });

  // Computing again proposes no duplicate.
  await compute(operator, user.userId);
  t.is((await operator.client.data(`query($u: UUID!) { recommendations(condition: {userId: $u}) { totalCount } }`, { u: user.userId })).recommendations.totalCount, 1);

  // Users (even the recommendation's own user) cannot decide.
  const approve = (who: Account) => who.client.post(`mutation($id: UUID!) { approveRecommendation(input: {recommendationId: $id}) { recommendation { ${REC} } } }`, { id: rec.recommendationId });
  const reject = (who: Account, reason: string) =>
    who.client.post(`mutation($id: UUID!, $r: String!) { rejectRecommendation(input: {recommendationId: $id, reason: $r}) { recommendation { ${REC} } } }`, { id: rec.recommendationId, r: reason });
  t.deepEqual(codes(await approve(user)), ["SGOPR"]);
  t.deepEqual(codes(await reject(operator, "  ")), ["SGRSN"], "a rejection needs a reason");

  const approved = (await approve(operator)).body.data.approveRecommendation.recommendation;
  t.like(approved, { status: "approved", approvedBy: operator.userId, rejectedBy: null });
  t.truthy(approved.approvedAt);
  t.deepEqual(codes(await reject(admin, "changed my mind")), ["SGTRN"], "a decided recommendation cannot be re-decided");
  t.deepEqual(codes(await approve(admin)), ["SGTRN"]);
  const generic = await admin.client.post(`mutation($id: UUID!) { updateRecommendation(input: {recommendationId: $id, patch: {status: pending}}) { recommendation { status } } }`, { id: rec.recommendationId });
  t.deepEqual(codes(generic), ["GRAPHQL_VALIDATION_FAILED"], "no generic update of the status");
  // Not even SQL can undo a decision or rewrite its stamps: the trigger enforces the rules.
  for (const change of ["status = 'pending'", "status = 'rejected', rejection_reason = 'x'", "approved_at = now() - interval '1 day'", "rejection_reason = 'x'"]) {
    const error = await ctx.db.ownerPool.query(`update app_public.recommendations set ${change} where recommendation_id = $1`, [rec.recommendationId]).catch((e) => e);
    t.is(error.code, "SGTRN", change);
  }

  const seen = await user.client.data(`{ recommendations { nodes { ${REC} } } }`);
  t.deepEqual(seen.recommendations.nodes, [approved], "stamps unchanged; the user sees it now");
  t.deepEqual(codes(await operator.client.post(`mutation { approveRecommendation(input: {recommendationId: "00000000-0000-0000-0000-000000000000"}) { recommendation { status } } }`)), ["SGRCN"]);
});

test("a rejected recommendation keeps who, when and why; the user never sees it; the rule is not proposed again for 30 days", async (t) => {
  const user = await consenting();
  await growing(user.userId);
  await compute(user, user.userId);
  const { recommendations } = await operator.client.data(`query($u: UUID!) { recommendations(condition: {userId: $u}) { nodes { recommendationId } } }`, { u: user.userId });
  const id = recommendations.nodes[0].recommendationId;
  const rejected = await operator.client.data(
    `mutation($id: UUID!) { rejectRecommendation(input: {recommendationId: $id, reason: "not relevant for a research budget"}) { recommendation { ${REC} } } }`,
    { id },
  );
  t.like(rejected.rejectRecommendation.recommendation, { status: "rejected", rejectedBy: operator.userId, rejectionReason: "not relevant for a research budget", approvedBy: null });
  await compute(operator, user.userId);
  t.is((await operator.client.data(`query($u: UUID!) { recommendations(condition: {userId: $u}) { totalCount } }`, { u: user.userId })).recommendations.totalCount, 1);
  t.is((await user.client.data(`{ recommendations { totalCount } }`)).recommendations.totalCount, 0);
});

test("revoking consent deletes the profile, its history and pending recommendations; decided ones stay", async (t) => {
  const user = await consenting();
  await compute(user, user.userId); // dormant: getting_started proposed
  await growing(user.userId);
  await compute(user, user.userId); // growing: volume_pricing proposed
  const { recommendations } = await operator.client.data(`query($u: UUID!) { recommendations(condition: {userId: $u}, orderBy: CREATED_AT_ASC) { nodes { recommendationId rule } } }`, { u: user.userId });
  t.deepEqual(recommendations.nodes.map((r: any) => r.rule).sort(), ["getting_started", "volume_pricing"]);
  const keep = recommendations.nodes.find((r: any) => r.rule === "getting_started").recommendationId;
  await operator.client.data(`mutation($id: UUID!) { approveRecommendation(input: {recommendationId: $id}) { recommendation { status } } }`, { id: keep });

  await user.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {consentStatus: false}}) { user { consentStatus } } }", { id: user.userId });
  const after = await operator.client.data(
    `query($u: UUID!) { userProfiles(condition: {userId: $u}) { totalCount } personaHistories(condition: {userId: $u}) { totalCount } recommendations(condition: {userId: $u}) { nodes { recommendationId status } } }`,
    { u: user.userId },
  );
  t.is(after.userProfiles.totalCount, 0);
  t.is(after.personaHistories.totalCount, 0);
  t.deepEqual(after.recommendations.nodes, [{ recommendationId: keep, status: "approved" }]);
  t.deepEqual(codes(await compute(user, user.userId)), ["SGCNS"]);
});
