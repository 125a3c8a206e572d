/**
 * @module commands/models
 * `l3c models`: the models in the models folder, with their ids (what streams name).
 */

import { listModels } from "../../../node-codec/src/model-store.js";

export function cmdModels(): number {
  const ms = listModels();
  if (!ms.length) {
    process.stderr.write("l3c: no models in models/\n");
    return 1;
  }
  for (const m of ms) {
    const c = m.manifest.config;
    process.stdout.write(`${m.name}\t${m.id}\tCf=${c.Cf} K=${c.K} C=${c.C} L=${c.L}\n`);
  }
  return 0;
}
