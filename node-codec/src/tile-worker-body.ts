/**
 * @module tile-worker-body
 * One worker of the tile pool: holds its own model sessions (a {@link ModelStore}) and
 * encodes or decodes one tile per message. See tile-pool.ts for the protocol.
 */
import { parentPort, workerData } from "node:worker_threads";
import { L3cError } from "../../shared/errors.js";
import { ModelStore } from "./model-store.js";
import { loadOrt } from "./runtime-options.js";
import type { TileJob, TileReply, WorkerInit } from "./tile-pool.js";

const init = workerData as WorkerInit;
const store = new ModelStore(await loadOrt(init.runtime ?? "node"), init);

parentPort!.on("message", async (job: TileJob) => {
  let reply: TileReply;
  try {
    const model = store.get(job.modelId);
    if (!model) throw new L3cError("UNKNOWN_MODEL", `model ${job.modelId}`);
    if (job.op === "warm") await store.warm(job.modelId);
    const out =
      job.op === "warm"
        ? new Uint8Array(0)
        : job.op === "encode"
          ? await model.encodeTile(job.data, job.width, job.height)
          : await model.decodeTile(job.data, job.width, job.height);
    reply = { id: job.id, ok: true, data: out };
    parentPort!.postMessage(reply, [out.buffer as ArrayBuffer]);
    return;
  } catch (e) {
    reply =
      e instanceof L3cError
        ? { id: job.id, ok: false, code: e.code, detail: e.detail }
        : { id: job.id, ok: false, message: (e as Error)?.message ?? String(e) };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
