import pg from "pg";
const orig = pg.Client.prototype.query;
(pg.Client.prototype as any).query = function (this: any, ...args: any[]) {
  const started = Date.now();
  const result = orig.apply(this, args as any);
  const text = typeof args[0] === "string" ? args[0] : args[0]?.text;
  if (result && typeof (result as any).then === "function") {
    (result as any).then(() => {
      const ms = Date.now() - started;
      if (ms > 300 && !String(text).startsWith("fetch")) console.error(`${ms} ms: ${String(text).replace(/\s+/g, " ").slice(0, 140)}`);
    }, () => undefined);
  }
  return result;
};
const { importLegacyFile } = await import("./src/import/importer.ts");
const started = Date.now();
const r = await importLegacyFile({ databaseUrl: "postgres://postgres@127.0.0.1:5432/importer_scratch", file: "/tmp/imp100k.json", quiet: true, dryRun: true });
console.error("ok", r.ok, r.error, (Date.now() - started) / 1000, "s");
