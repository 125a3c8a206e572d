/**
 * What verification costs on the encode path.
 *   npm run bench:hook-verify -- [folder of images] [--images N] [--rounds R]
 * Default: the first 3 images of ../shared/datasets/kodak (synthetic 512x512 ones when it
 * is absent), the default model, the backend's default workers. Times, per image:
 *   - codec.encode without and with verify-on-encode (the backend always verifies);
 *   - the S3 hook end to end against a real S3 server (versitygw, built by setup), with
 *     HOOKS_VERIFY=decode (the hook decodes the stream again through the backend: the
 *     path before this change) and with the default (it checks the backend's attested
 *     verification by digests instead).
 * Every stored stream is decoded once more here and compared with the original's pixels
 * before anything is reported. The four paths run interleaved, image by image, for R
 * rounds (default 3), and the table gives medians: on a machine that others load, drift
 * hits all paths alike. (CPU time is no better a measure: onnxruntime's threads spin.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { loadConfig } from "../../gpu-backend/src/config.js";
import { start } from "../../gpu-backend/src/server.js";
import { type HookConfig, handleObjectCreated } from "../../hooks/src/core.js";
import { Codec } from "../../node-codec/src/codec.js";
import { startS3Server } from "../harness/s3-server.js";

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: { images: { type: "string" }, rounds: { type: "string" } },
});
const n = Number(o.images ?? 3);
const dir = positionals[0] ?? new URL("../../../shared/datasets/kodak", import.meta.url).pathname;
let inputs: Array<{ name: string; png: Uint8Array }>;
try {
  inputs = readdirSync(dir)
    .filter((f) => f.endsWith(".png"))
    .sort()
    .slice(0, n)
    .map((f) => ({ name: f, png: new Uint8Array(readFileSync(join(dir, f))) }));
} catch {
  inputs = [];
}
if (!inputs.length) {
  console.log(`(no images in ${dir}: synthetic 512x512 images)`);
  for (let i = 0; i < n; i++) {
    const raw = Buffer.alloc(512 * 512 * 3);
    for (let p = 0; p < raw.length; p++) raw[p] = (((p / 3) % 512) + i * 40 + ((p * 7919) % 13)) & 255;
    const png = await sharp(raw, { raw: { width: 512, height: 512, channels: 3 } })
      .png()
      .toBuffer();
    inputs.push({ name: `synthetic${i}.png`, png: new Uint8Array(png) });
  }
}
const mps = await Promise.all(
  inputs.map(async (x) => {
    const m = await sharp(x.png).metadata();
    return ((m.width ?? 0) * (m.height ?? 0)) / 1e6;
  }),
);
const totalMp = mps.reduce((a, b) => a + b, 0);

const TOKEN = "bench-token-0123456789";
const env = { ...process.env, L3C_BACKEND_TOKEN: TOKEN, PORT: "0", L3C_DISABLE_CUDA: "1" };
const backend = await start(env);
const s3 = await startS3Server();
// the codec exactly as the backend makes it (workers, threads per worker)
const config = loadConfig(env);
const codec = await Codec.create({
  workers: config.workers,
  threads: config.threads,
  modelsDir: config.modelsDir,
});
const rounds = Number(o.rounds ?? 3);
const paths = [
  "codec.encode, verify off",
  "codec.encode, verify on (what /v1/encode does)",
  "hook, HOOKS_VERIFY=decode (before: decodes again)",
  "hook, default (after: attestation checked)",
] as const;
/** Wall seconds per image, by path: the paths interleave image by image, so load drift hits all alike. */
const times = paths.map(() => [] as number[]);
const decodes = [0, 0];
const timed = async (i: number, f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  times[i].push((performance.now() - t0) / 1000);
};

try {
  const pixels = await Promise.all(
    inputs.map(async (x) => {
      const { data, info } = await sharp(x.png).raw().toBuffer({ resolveWithObject: true });
      return {
        width: info.width,
        height: info.height,
        channels: info.channels as 3,
        data: new Uint8Array(data),
      };
    }),
  );
  const cfg = (verify: "decode" | "backend"): HookConfig => ({
    s3: s3.client,
    backendUrl: `http://127.0.0.1:${backend.port}`,
    backendToken: TOKEN,
    verify,
    attempts: 1,
    log: () => undefined,
  });
  const hook = async (mode: "decode" | "backend", key: string) => {
    const d0 = await decodeCalls(backend.port);
    const out = await handleObjectCreated(cfg(mode), { bucket: "images", key });
    if (out.status !== "stored") throw new Error(`${key}: ${JSON.stringify(out)}`);
    decodes[mode === "decode" ? 0 : 1] += (await decodeCalls(backend.port)) - d0;
  };
  await codec.encode(pixels[0], { verify: true }); // warm the sessions
  await hook("backend", await upload("warm", inputs[0]));
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < inputs.length; i++) {
      await timed(0, () => codec.encode(pixels[i], { verify: false }));
      await timed(1, () => codec.encode(pixels[i], { verify: true }));
      const kd = await upload(`decode/${r}`, inputs[i]);
      await timed(2, () => hook("decode", kd));
      const kb = await upload(`backend/${r}`, inputs[i]);
      await timed(3, () => hook("backend", kb));
    }

  // every stored stream decodes to its original's pixels
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  for (const mode of ["decode", "backend"])
    for (let r = 0; r < rounds; r++)
      for (let i = 0; i < inputs.length; i++) {
        const key = `${mode}/${r}/${inputs[i].name}.l3c`;
        const got = await s3.client.send(new GetObjectCommand({ Bucket: "images", Key: key }));
        const back = await codec.decode(new Uint8Array(await got.Body!.transformToByteArray()));
        if (!Buffer.from(back.data).equals(Buffer.from(pixels[i].data)))
          throw new Error(`${key} does not decode to the original`);
      }
} finally {
  await codec.close();
  await backend.stop();
  await s3.stop();
}

async function upload(prefix: string, x: { name: string; png: Uint8Array }): Promise<string> {
  const key = `${prefix}/${x.name}`;
  await s3.client.send(new PutObjectCommand({ Bucket: "images", Key: key, Body: x.png }));
  return key;
}

async function decodeCalls(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let c = 0;
  for (const line of text.split("\n"))
    if (line.startsWith('l3c_requests_total{route="/v1/decode"')) c += Number(line.split(" ").pop());
  return c;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mpPerImage = totalMp / inputs.length;
const base = median(times[1]);
console.log(
  `\n${inputs.length} images (${totalMp.toFixed(2)} MP) from ${dir}, default model, ${rounds} rounds, ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}\n`,
);
console.log("| path | median s per image | vs one verified encode | MP/s | extra /v1/decode calls |");
console.log("| --- | --- | --- | --- | --- |");
paths.forEach((label, i) => {
  const m = median(times[i]);
  const calls = i === 2 ? decodes[0] : i === 3 ? decodes[1] : "-";
  console.log(
    `| ${label} | ${m.toFixed(2)} | ${(m / base).toFixed(2)}x | ${(mpPerImage / m).toFixed(3)} | ${calls} |`,
  );
});
