// Network time of one 256 x 256 tile's decode (every decode-side graph once), per model
// folder, onnxruntime-node, one thread, best of 10 runs per graph (tools/arch_cost.py).
//   node training/tools/arch_time.mjs <model dir>...
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ort from "onnxruntime-node";
const T = 256;
for (const dir of process.argv.slice(2)) {
  const man = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const { C, Cf, L } = man.config;
  const grid = (role) => (role === "dec3" || role === "base" || role.startsWith("l3") ? 3 : role === "dec2" || role.startsWith("l2") ? 2 : 1);
  let total = 0;
  const per = {};
  for (const [role, f] of Object.entries(man.files)) {
    if (role === "encoder") continue;
    const s = await ort.InferenceSession.create(readFileSync(join(dir, f.file)), {
      intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: false, enableMemPattern: false,
    });
    const g = T >> grid(role);
    const feeds = {};
    for (const name of s.inputNames) {
      const isZ = /^z\d$/.test(name);
      const p = role.match(/^l\dp(\d)$/)?.[1];
      const ch = isZ ? C : name === "pix" ? 3 * Number(p) : Cf;
      // dec(s) take f(s+1) at their own grid (H / 2^s)
      const n = ch * g * g;
      const d = new Uint8Array(n);
      for (let i = 0; i < n; i++) d[i] = Math.floor(Math.random() * (isZ ? L : 256));
      feeds[name] = new ort.Tensor("uint8", d, [1, ch, g, g]);
    }
    let best = Infinity;
    for (let r = 0; r < 10; r++) {
      const t = performance.now();
      await s.run(feeds);
      best = Math.min(best, performance.now() - t);
    }
    per[role] = best;
    total += best;
    await s.release();
  }
  const fmt = Object.entries(per).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
  console.log(`${dir}: ${total.toFixed(0)} ms per tile (${fmt})`);
}
