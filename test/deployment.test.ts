// The shipped deployment files: docker-compose.yml takes its secrets from an env file that is
// never committed (.env.example lists them) and never confirms production migrations for good.
import fs from "node:fs";
import test from "ava";

const read = (file: string) => fs.readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
const compose = read("docker-compose.yml");
const lines = (text: string) => text.split("\n").filter((line) => !/^\s*(#|$)/.test(line));

test("docker-compose.yml never sets CONFIRM_PRODUCTION_MIGRATION", (t) => {
  t.deepEqual(lines(compose).filter((line) => line.includes("CONFIRM_PRODUCTION_MIGRATION")), []);
});

test("docker-compose.yml hard-codes no password or secret: each comes from a required variable", (t) => {
  const secrets = lines(compose).filter((line) => /^\s*[A-Z_]*(PASSWORD|SECRET):/.test(line));
  t.true(secrets.length >= 3);
  for (const line of secrets) t.regex(line, /:\s*\$\{[A-Z_]+:\?[^}]+\}\s*$/, line);
  for (const [, password] of compose.matchAll(/postgres:\/\/[^:\s]+:([^@\s]+)@/g)) t.regex(password!, /^\$\{[A-Z_]+:\?[^}]+\}$/);
});

test("every variable docker-compose.yml needs is listed in .env.example, and .env is ignored by git and docker", (t) => {
  const needed = new Set([...compose.matchAll(/\$\{([A-Z_]+)/g)].map((match) => match[1]));
  const listed = new Set(lines(read(".env.example")).map((line) => line.split("=")[0]));
  t.deepEqual([...needed].filter((name) => !listed.has(name)), []);
  t.true(lines(read(".gitignore")).includes(".env"));
  t.true(lines(read(".dockerignore")).includes(".env"));
});
