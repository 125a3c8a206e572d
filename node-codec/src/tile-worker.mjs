// Worker-thread entry of the tile pool (tile-pool.ts): registers tsx, because the
// TypeScript sources ship as is, then loads the worker's body.
import { register } from "tsx/esm/api";

register();
await import("./tile-worker-body.ts");
