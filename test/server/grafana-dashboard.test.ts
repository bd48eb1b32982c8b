// docs/grafana-dashboard.json is ready to import: valid JSON whose every query names metrics the
// gateway really serves on /metrics (a renamed metric would leave an empty panel).
import fs from "node:fs";
import test from "ava";
import { PROJECT_ROOT } from "../../src/projectRoot.ts";
import { useTestGateway } from "../helpers/gateway.ts";

const ctx = useTestGateway();

test("every metric the dashboard queries is served by /metrics", async (t) => {
  const dashboard = JSON.parse(fs.readFileSync(`${PROJECT_ROOT}/docs/grafana-dashboard.json`, "utf8"));
  const exprs: string[] = dashboard.panels.flatMap((panel: { targets: { expr: string }[] }) => panel.targets.map((target) => target.expr));
  t.true(exprs.length >= 8);
  const queried = new Set(exprs.flatMap((expr) => [...expr.matchAll(/\bspendgate_[a-z0-9_]+/g)].map((match) => match[0].replace(/_(bucket|sum|count)$/, ""))));
  const served = await (await fetch(`${ctx.gateway.url}/metrics`)).text();
  const families = new Set([...served.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
  t.deepEqual([...queried].filter((name) => !families.has(name)), []);
});
