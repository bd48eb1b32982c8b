// In production (introspection off) error messages suggest no field, argument, type or enum names
// ("Did you mean ...?" would reveal the schema that a closed introspection hides); the codes stay.
// The development gateway of test/api/errors.test.ts is the control: there the suggestions show.
import test from "ava";
import { TEST_JWT_SECRET, startTestGateway, useTestGateway } from "../helpers/gateway.ts";
import { register, type Account } from "./client.ts";

let alice: Account;
const ctx = useTestGateway({ NODE_ENV: "production", JWT_SECRET: TEST_JWT_SECRET }, async ({ gateway }) => {
  alice = await register(gateway.url);
});

const PROBES: [string, string, Record<string, unknown> | undefined, string][] = [
  ["a misspelled field", "{ currentUsr { email } }", undefined, "GRAPHQL_VALIDATION_FAILED"],
  ["a misspelled argument", "{ projects(frist: 1) { totalCount } }", undefined, "GRAPHQL_VALIDATION_FAILED"],
  ["a misspelled enum value", "{ projects(orderBy: PROJECT_ID_ASX) { totalCount } }", undefined, "GRAPHQL_VALIDATION_FAILED"],
  ["a misspelled type", "query($p: ProjectInptu!) { version }", undefined, "GRAPHQL_VALIDATION_FAILED"],
  ["a misspelled input field in a variable", "mutation($p: ProjectInput!) { createProject(input: {project: $p}) { project { name } } }", { p: { name: "x", descripton: "y" } }, "BAD_USER_INPUT"],
];

for (const [what, query, variables, code] of PROBES) {
  test(`${what}: a coded error without suggestions`, async (t) => {
    const response = await alice.client.post(query, variables);
    const errors = response.body.errors ?? [];
    t.is(errors[0]?.extensions?.code, code);
    for (const error of errors) t.notRegex(error.message, /Did you mean|currentUser|"first"|PROJECT_ID_ASC|"description"/);
  });
}

test("control: the same probes in development do suggest (so the checks above can fail)", async (t) => {
  const development = await startTestGateway(ctx.db, {});
  try {
    for (const [what, query, variables] of PROBES) {
      const response = await fetch(`${development.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${alice.accessToken}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { errors: { message: string }[] };
      t.regex(body.errors.map((error) => error.message).join(" "), /Did you mean/, what);
    }
  } finally {
    await development.close();
  }
});
