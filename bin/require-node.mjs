// Guard run before npm start/test/worker: PostGraphile 5 and graphile-worker 0.18 need Node >= 22.
// The `node` dev dependency puts a Node 22 binary first on npm scripts' PATH; if its install script
// was skipped, npm silently falls back to the system Node, so fail here with a clear message.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 20)) {
  console.error(
    `spendgate needs Node >= 22.20, but npm is running Node ${process.versions.node}.\n` +
      "The project ships Node 22 as the `node` dev dependency: run `npm install` (with install scripts enabled) " +
      "and start it through npm (`npm start`, `npm test`).",
  );
  process.exit(1);
}
