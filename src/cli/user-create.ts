// npm run user:create -- --email E [--role user|operator|admin]
// Creates an account on a fresh install, typically the first admin (who then manages the other
// users through the API: updateUser(patch: {role})). The password is read from a prompt, or from
// standard input when that is not a terminal, never from the command line. The account is made
// by the same SQL function as `register` (password rules, bcrypt in PostgreSQL, unique email),
// then given its role, in one transaction.
import { parseArgs } from "node:util";
import pg from "pg";
import { readPassword } from "./readPassword.ts";
import { withOwnerDatabase } from "./withDatabase.ts";

const ROLES = ["user", "operator", "admin"] as const;
const USAGE = "usage: npm run user:create -- --email EMAIL [--role user|operator|admin]  (the password is asked for, or read from standard input)";

function usage(problem: string): never {
  console.error(`spendgate: ${problem}\n${USAGE}`);
  process.exit(2);
}

let options: { email?: string; role?: string };
try {
  ({ values: options } = parseArgs({ options: { email: { type: "string" }, role: { type: "string", default: "user" } }, strict: true }));
} catch (error) {
  if (process.argv.some((arg) => arg.startsWith("--password"))) {
    usage("passwords are never taken from the command line (shell history, ps): type it at the prompt or pipe it on standard input");
  }
  usage((error as Error).message);
}
const { email, role } = options;
if (!email) usage("--email is required");
if (!ROLES.includes(role as (typeof ROLES)[number])) usage(`--role must be one of ${ROLES.join(", ")}`);

const password = await readPassword();
try {
  const userId = await withOwnerDatabase(async (databaseUrl) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query("begin");
      const { rows } = await client.query<{ user_id: string }>("select app_private.register_user($1, $2) as user_id", [email, password]);
      await client.query("update app_public.users set role = $2 where user_id = $1", [rows[0]!.user_id, role]);
      await client.query("commit");
      return rows[0]!.user_id;
    } finally {
      await client.end();
    }
  });
  console.log(`created ${role} ${email} (user id ${userId}); log in with the login mutation`);
} catch (error) {
  console.error(`spendgate: ${(error as Error).message}`);
  process.exit(1);
}
