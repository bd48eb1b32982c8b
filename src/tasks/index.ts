// Every other file in this folder is one graphile-worker task, named after the file
// (src/tasks/reset_budgets.ts is task "reset_budgets") and default-exporting its function. A
// task that needs a service of the process (object storage) exports `makeTask(services)` instead.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Task, TaskList } from "graphile-worker";
import type { ObjectStorage } from "../storage/storage.ts";

const TASKS_DIR = path.dirname(fileURLToPath(import.meta.url));

/** What tasks may use besides their helpers; each process builds it from its configuration. */
export interface TaskServices {
  storage: ObjectStorage;
}

type TaskModule = { default?: Task; makeTask?: (services: TaskServices) => Task };

export async function loadTasks(services: TaskServices, dir = TASKS_DIR): Promise<TaskList> {
  const files = (await fs.readdir(dir)).filter((file) => file.endsWith(".ts") && file !== "index.ts").sort();
  const tasks: TaskList = {};
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(dir, file)).href)) as TaskModule;
    const task = module.makeTask ? module.makeTask(services) : module.default;
    if (typeof task !== "function") throw new Error(`src/tasks/${file} must default-export a graphile-worker task function (or export makeTask)`);
    tasks[path.basename(file, ".ts")] = task;
  }
  return tasks;
}
