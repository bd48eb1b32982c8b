// Backups of the embedded default (no DATABASE_URL), whose PostgreSQL package has no pg_dump: an
// online base backup of the cluster, taken while the gateway serves, restored after the data
// directory is lost; the server replays the backup's WAL on start and every table's checksum is
// the same.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { TEST_JWT_SECRET } from "../helpers/gateway.ts";
import { spawnProcess } from "../helpers/process.ts";
import { backupRestoreRoundTrip } from "../helpers/restoreFlow.ts";

test.serial("the embedded cluster is backed up online, lost, restored, and serves the same rows", async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-backup-"));
  await fs.chmod(dataDir, 0o755); // as root the embedded cluster runs as `postgres`
  t.teardown(() => fs.rm(dataDir, { recursive: true, force: true }));
  const pgDir = path.join(dataDir, "pg");
  const env = { NODE_ENV: "development", DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET, WORKER: "off" };
  await backupRestoreRoundTrip(t, {
    env,
    async checksumUrl() {
      const { superuserPassword } = JSON.parse(await fs.readFile(`${pgDir}.credentials.json`, "utf8"));
      const port = (await fs.readFile(path.join(pgDir, "postmaster.pid"), "utf8")).split("\n")[3];
      return `postgres://postgres:${encodeURIComponent(superuserPassword)}@127.0.0.1:${port}/spendgate`;
    },
    lose: () => fs.rm(pgDir, { recursive: true, force: true }),
    restoreArgs: [],
  });
  const [backup] = (await fs.readdir(path.join(dataDir, "backups"))).filter((name) => name.endsWith(".tar.gz"));

  // Over a data directory that holds a database: only when the operator names it.
  const refused = spawnProcess("npm", ["run", "-s", "db:restore", "--", path.join(dataDir, "backups", backup!)], env);
  t.is((await refused.exited).code, 1);
  t.regex(refused.output(), /holds a database: confirm replacing it \(see --replace-database\)/);
  const replaced = spawnProcess("npm", ["run", "-s", "db:restore", "--", path.join(dataDir, "backups", backup!), "--replace-database", "spendgate"], env);
  t.is((await replaced.exited).code, 0, replaced.output());
  t.regex(replaced.output(), /^kept +the previous one as .*pg\.replaced-\d{14}$/m);
});
