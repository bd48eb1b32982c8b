// Bootstrapping a fresh install (README, first screen): `npm run user:create -- --email E --role
// admin` makes the first admin, with the password read from standard input or a prompt that does
// not echo, never from the command line. The admin then logs in over HTTP and manages the other
// accounts through the API.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import test from "ava";
import { useTestGateway } from "../helpers/gateway.ts";
import { login, promote, register, runUserCreate, uniqueEmail } from "./client.ts";

const ctx = useTestGateway();
const USER_CREATE = fileURLToPath(new URL("../../src/cli/user-create.ts", import.meta.url));
const count = async (email: string) =>
  Number((await ctx.db.ownerPool.query("select count(*) from app_public.users where email = $1", [email])).rows[0].count);

test("an admin created from standard input logs in over HTTP and has the admin role", async (t) => {
  const email = uniqueEmail("root");
  const { code, output } = await runUserCreate(ctx.db.ownerUrl, ["--email", email, "--role", "admin"], "s3cret admin pw\n");
  t.is(code, 0, output);
  t.regex(output, new RegExp(`created admin ${email} \\(user id [0-9a-f-]{36}\\)`));
  t.notRegex(output, /s3cret/);
  const admin = await login(ctx.gateway.url, email, "s3cret admin pw");
  const me = await admin.client.data("{ currentUser { email role } }");
  t.deepEqual(me.currentUser, { email, role: "admin" });

  // The admin manages accounts through the API: an operator, then a suspension.
  const carol = await register(ctx.gateway.url);
  const operator = await promote(admin, carol, "operator");
  t.is((await operator.client.data("{ currentUser { role } }")).currentUser.role, "operator");
  await admin.client.data("mutation($id: UUID!) { updateUser(input: {userId: $id, patch: {accountStatus: suspended}}) { user { accountStatus } } }", { id: carol.userId });
  t.deepEqual(await carol.client.errors("{ currentUser { email } }"), [["ACCOUNT_INACTIVE", "this account is suspended"]]);
});

test("the role defaults to user; operators are created the same way", async (t) => {
  const plain = uniqueEmail("plain");
  t.is((await runUserCreate(ctx.db.ownerUrl, ["--email", plain], "plain password\n")).code, 0);
  t.is((await login(ctx.gateway.url, plain, "plain password")).userId.length, 36);
  const { rows } = await ctx.db.ownerPool.query("select role::text from app_public.users where email = $1", [plain]);
  t.deepEqual(rows, [{ role: "user" }]);
});

test("a password on the command line is refused (exit 2) and nothing is created", async (t) => {
  const email = uniqueEmail("argv");
  const { code, output } = await runUserCreate(ctx.db.ownerUrl, ["--email", email, "--password", "in argv!!"], "");
  t.is(code, 2);
  t.regex(output, /passwords are never taken from the command line/);
  t.is(await count(email), 0);
});

test("bad arguments exit 2 with the usage; a taken email or a short password exit 1 with the database's reason", async (t) => {
  t.is((await runUserCreate(ctx.db.ownerUrl, ["--role", "admin"], "x\n")).code, 2);
  const badRole = await runUserCreate(ctx.db.ownerUrl, ["--email", uniqueEmail(), "--role", "root"], "long enough\n");
  t.is(badRole.code, 2);
  t.regex(badRole.output, /--role must be one of user, operator, admin/);
  const email = uniqueEmail("twice");
  t.is((await runUserCreate(ctx.db.ownerUrl, ["--email", email], "first password\n")).code, 0);
  const again = await runUserCreate(ctx.db.ownerUrl, ["--email", email, "--role", "admin"], "second password\n");
  t.is(again.code, 1);
  t.regex(again.output, /an account with this email already exists/);
  const short = await runUserCreate(ctx.db.ownerUrl, ["--email", uniqueEmail()], "short\n");
  t.is(short.code, 1);
  t.regex(short.output, /password must be 8 to 72 bytes long/);
  const { rows } = await ctx.db.ownerPool.query("select role::text from app_public.users where email = $1", [email]);
  t.deepEqual(rows, [{ role: "user" }], "the existing account is unchanged");
});

test("at a terminal the password is asked twice without echo", async (t) => {
  const email = uniqueEmail("tty");
  // `script` gives the command a pseudo-terminal; we answer each prompt as it appears.
  const child = spawn("script", ["-qec", `"${process.execPath}" "${USER_CREATE}" --email ${email} --role operator`, "/dev/null"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "test", LOG_LEVEL: "warn", DATABASE_URL: ctx.db.ownerUrl },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let answered = 0;
  child.stdout.on("data", (chunk) => {
    output += chunk;
    const prompts = (output.match(/Password: |Repeat password: /g) ?? []).length;
    for (; answered < prompts; answered++) child.stdin.write("typed at tty\r");
  });
  const code = await new Promise((resolve) => child.on("close", resolve)); // after the last output is read
  t.is(code, 0, output);
  t.regex(output, /Password: .*Repeat password: /s);
  t.notRegex(output, /typed at tty/, "no echo");
  t.is((await login(ctx.gateway.url, email, "typed at tty")).email, email);
});
