// The dependency pins: package.json names exact versions, and package-lock.json's root entry says
// the same, so that `npm install` on a fresh clone resolves nothing anew and rewrites nothing.
import fs from "node:fs";
import test from "ava";

const read = (file: string) => JSON.parse(fs.readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));
const pkg = read("package.json");
const lock = read("package-lock.json");
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

for (const field of ["dependencies", "devDependencies"] as const) {
  test(`${field} are pinned to exact versions`, (t) => {
    const ranges = Object.entries(pkg[field] as Record<string, string>).filter(([, version]) => !EXACT.test(version));
    t.deepEqual(ranges, []);
  });

  test(`package-lock.json's root ${field} equal package.json's`, (t) => {
    t.deepEqual(lock.packages[""][field], pkg[field]);
  });
}

test("the locked version of every direct dependency is the pinned one", (t) => {
  const pinned = { ...pkg.dependencies, ...pkg.devDependencies } as Record<string, string>;
  const locked = Object.fromEntries(Object.keys(pinned).map((name) => [name, lock.packages[`node_modules/${name}`]?.version]));
  t.deepEqual(locked, pinned);
});
