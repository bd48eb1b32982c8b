import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { loadPlugins, PLUGINS_DIR } from "../../src/graphql/plugins.ts";
import { useTestGateway } from "../helpers/gateway.ts";

const ctx = useTestGateway();

test("every plugins/*.ts file is loaded, in file-name order", async (t) => {
  const files = (await fs.readdir(PLUGINS_DIR)).filter((file) => file.endsWith(".ts")).sort();
  const plugins = await loadPlugins();
  t.deepEqual(
    plugins.map((plugin) => plugin.name),
    files.map((file) => path.basename(file, ".ts")),
  );
});

test("VersionPlugin's field answers through HTTP with the package version", async (t) => {
  const { version } = JSON.parse(await fs.readFile(new URL("../../package.json", import.meta.url), "utf8"));
  const response = await ctx.gateway.graphql("{ version }");
  t.is(response.status, 200);
  t.deepEqual(response.body, { data: { version } });
});

test("a plugin file without a default-exported plugin stops loading with a message naming the file", async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "spendgate-plugins-"));
  await fs.writeFile(path.join(dir, "BrokenPlugin.ts"), "export const notAPlugin = 1;\n");
  await t.throwsAsync(loadPlugins(dir), { message: "plugins/BrokenPlugin.ts must default-export a Graphile plugin (an object with a name)" });
  await fs.rm(dir, { recursive: true });
});
