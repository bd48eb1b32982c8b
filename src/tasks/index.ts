// Every other file in this folder is one graphile-worker task, named after the file
// (src/tasks/reset_budgets.ts is task "reset_budgets") and default-exporting its function.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Task, TaskList } from "graphile-worker";

const TASKS_DIR = path.dirname(fileURLToPath(import.meta.url));

export async function loadTasks(dir = TASKS_DIR): Promise<TaskList> {
  const files = (await fs.readdir(dir)).filter((file) => file.endsWith(".ts") && file !== "index.ts").sort();
  const tasks: TaskList = {};
  for (const file of files) {
    const { default: task } = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: Task };
    if (typeof task !== "function") throw new Error(`src/tasks/${file} must default-export a graphile-worker task function`);
    tasks[path.basename(file, ".ts")] = task;
  }
  return tasks;
}
