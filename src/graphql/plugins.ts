// Every `plugins/*.ts` file is a Graphile plugin (its default export) and is loaded into the
// preset automatically, in file-name order: adding a feature is adding a file.
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../projectRoot.ts";

export const PLUGINS_DIR = path.join(PROJECT_ROOT, "plugins");

export async function loadPlugins(dir = PLUGINS_DIR): Promise<GraphileConfig.Plugin[]> {
  const files = (await fs.readdir(dir)).filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts")).sort();
  const plugins: GraphileConfig.Plugin[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: GraphileConfig.Plugin };
    const plugin = module.default;
    if (!plugin || typeof plugin.name !== "string") {
      throw new Error(`plugins/${file} must default-export a Graphile plugin (an object with a name)`);
    }
    plugins.push(plugin);
  }
  return plugins;
}
