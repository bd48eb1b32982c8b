// The checkout's top folder, where migrations/, plugins/, sql/ and schema.graphql live. Resolved
// from this file's location, so it does not depend on the working directory.
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
