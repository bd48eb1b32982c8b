// register / login / refreshSession / logout through HTTP, as a client uses them.
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";

const ctx = useTestGateway();

const TOKENS = "accessToken accessTokenExpiresAt refreshToken userId";
const register = (email: string, password = "correct horse battery") =>
  ctx.gateway.graphql(`mutation($input: RegisterInput!) { register(input: $input) { ${TOKENS} } }`, { input: { email, password } });
const login = (email: string, password = "correct horse battery") =>
  ctx.gateway.graphql(`mutation($input: LoginInput!) { login(input: $input) { ${TOKENS} } }`, { input: { email, password } });
const refresh = (refreshToken: string) =>
  ctx.gateway.graphql(`mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { ${TOKENS} } }`, { t: refreshToken });
const me = (accessToken: string) => ctx.gateway.graphql("{ users { nodes { email role } } }", {}, { authorization: `Bearer ${accessToken}` });

test("register creates an account with a bcrypt hash and returns a working token pair", async (t) => {
  const response = await register("new@example.com");
  t.is(response.status, 200);
  const tokens = response.body.data.register;
  t.regex(tokens.accessToken, /^eyJ/);
  t.regex(tokens.refreshToken, /^[A-Za-z0-9_-]{43}$/);
  t.deepEqual((await me(tokens.accessToken)).body.data, { users: { nodes: [{ email: "new@example.com", role: "user" }] } });
  const { rows } = await ctx.db.ownerPool.query("select password_hash, (select refresh_token from app_public.sessions where user_id = u.user_id) as refresh from app_public.users u where email = 'new@example.com'");
  t.regex(rows[0].password_hash, /^\$2a\$10\$/);
  t.not(rows[0].refresh, tokens.refreshToken, "only the refresh token's hash is stored");
  t.regex(rows[0].refresh, /^[0-9a-f]{64}$/);
});

test("register refuses a duplicate email (case-insensitively), a short password and a malformed email", async (t) => {
  await register("dup@example.com");
  const duplicate = await register("DUP@example.com");
  t.is(duplicate.body.errors[0].extensions.code, "SGDUP");
  const short = await register("short@example.com", "1234567");
  t.is(short.body.errors[0].extensions.code, "SGPWD");
  t.regex(short.body.errors[0].message, /8 to 72 bytes/);
  const malformed = await register("not-an-email");
  t.is(malformed.body.errors[0].extensions.code, "23514");
  const { rows } = await ctx.db.ownerPool.query("select count(*)::int as n from app_public.users where email in ('short@example.com', 'not-an-email')");
  t.is(rows[0].n, 0, "a refused registration changes nothing");
});

test("login gives the same error for an unknown email and a wrong password", async (t) => {
  await register("login@example.com");
  const ok = await login("login@example.com");
  t.truthy(ok.body.data.login.accessToken);
  const wrongPassword = await login("login@example.com", "wrong password!");
  const unknown = await login("nobody@example.com");
  for (const failed of [wrongPassword, unknown]) {
    t.is(failed.body.data.login, null);
    t.deepEqual(failed.body.errors.map((e: any) => [e.message, e.extensions.code]), [["invalid email or password", "SGAUT"]]);
  }
});

test("login refuses a suspended account", async (t) => {
  await register("blocked@example.com");
  await ctx.db.ownerPool.query("update app_public.users set account_status = 'suspended' where email = 'blocked@example.com'");
  const response = await login("blocked@example.com");
  t.is(response.body.errors[0].extensions.code, "SGINA");
});

test("refreshSession rotates the pair; the old refresh token stops working and its reuse revokes the family", async (t) => {
  const first = (await register("rotate@example.com")).body.data.register;
  const second = (await refresh(first.refreshToken)).body.data.refreshSession;
  t.truthy(second.accessToken);
  t.not(second.refreshToken, first.refreshToken);
  t.is((await me(second.accessToken)).status, 200);

  const replay = await refresh(first.refreshToken);
  t.deepEqual(replay.body.errors.map((e: any) => e.extensions.code), ["SGRTR"]);
  // The replay revoked the whole family: the legitimate successor is dead too.
  const afterReplay = await refresh(second.refreshToken);
  t.deepEqual(afterReplay.body.errors.map((e: any) => e.extensions.code), ["SGRTR"]);
  t.is((await me(second.accessToken)).status, 401, "access tokens of a revoked session stop working");
});

test("refreshSession refuses an unknown or expired refresh token", async (t) => {
  t.is((await refresh("made-up-token")).body.errors[0].extensions.code, "SGRTI");
  const tokens = (await register("expired@example.com")).body.data.register;
  await ctx.db.ownerPool.query("update app_public.sessions set expires_at = now() - interval '1 second' where user_id = $1", [tokens.userId]);
  t.is((await refresh(tokens.refreshToken)).body.errors[0].extensions.code, "SGRTE");
});

test("logout ends the session: its access and refresh tokens stop working", async (t) => {
  const tokens = (await register("logout@example.com")).body.data.register;
  const response = await ctx.gateway.graphql("mutation { logout(input: {}) { result } }", {}, { authorization: `Bearer ${tokens.accessToken}` });
  t.deepEqual(response.body.data, { logout: { result: true } });
  t.is((await me(tokens.accessToken)).status, 401);
  t.is((await refresh(tokens.refreshToken)).body.errors[0].extensions.code, "SGRTR");
});
