/**
 * @module demo
 * The demo page's script (bundled as `/_l3c/demo.js`): the chosen image goes to
 * `POST /_l3c/demo/encode`; the answer's sizes become a bar chart and its stream is
 * decoded here (decodeL3cStream) and compared, byte for byte, with the pixels the
 * browser decodes from the original. Non-PNG inputs are first turned into a PNG of the
 * pixels the browser decoded, so that both sides start from the same pixels (JPEG
 * decoders may differ by a little). The answer's lossless JPEG XL file is decoded by the
 * browser's own decoder where it has one, and its time shown beside l3c's.
 */

import { decodeL3cStream } from "../src/decoder.js";

interface EncodeAnswer {
  width: number;
  height: number;
  layout: string;
  /** Sub-pixels the stream codes (shared/format.ts subpixels): what bpsp counts. */
  subpixels: number;
  tiles: number;
  input: { format: string; bytes: number };
  l3c: { bytes: number; ms: number };
  variants: { type: string; bytes: number; ms: number }[];
  stream: string;
  /** The lossless JPEG XL file (base64), for the browser's own decoder. */
  jxl?: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>("status");

function say(text: string, error = false): void {
  status.textContent = text;
  status.className = error ? "error" : "";
}

async function originalPixels(file: Blob): Promise<{ data: ImageData; png: Blob }> {
  const bmp = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const canvas = $<HTMLCanvasElement>("original");
  canvas.width = bmp.width;
  canvas.height = bmp.height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  const data = ctx.getImageData(0, 0, bmp.width, bmp.height);
  const png =
    file.type === "image/png"
      ? file
      : await new Promise<Blob>((ok, no) =>
          canvas.toBlob((b) => (b ? ok(b) : no(new Error("toBlob"))), "image/png"),
        );
  return { data, png };
}

function chart(a: EncodeAnswer): void {
  const names: Record<string, string> = {
    "image/png": "PNG",
    "image/webp": "WebP lossless",
    "image/avif": "AVIF lossless",
    "image/jxl": "JPEG XL lossless",
  };
  // A codec the edge did not answer with has no row (rather than a bar of 0 bytes).
  const rows = [
    { name: "l3c", bytes: a.l3c.bytes },
    ...Object.entries(names).flatMap(([type, name]) => {
      const v = a.variants.find((x) => x.type === type);
      return v ? [{ name, bytes: v.bytes }] : [];
    }),
  ];
  const max = Math.max(...rows.map((r) => r.bytes));
  const el = $("chart");
  el.replaceChildren();
  for (const r of rows) {
    const label = document.createElement("span");
    label.textContent = r.name;
    const bar = document.createElement("div");
    bar.className = r.name === "l3c" ? "bar l3c" : "bar";
    bar.style.width = `${(100 * r.bytes) / max}%`;
    bar.dataset.codec = r.name;
    bar.dataset.bytes = String(r.bytes);
    const num = document.createElement("span");
    num.className = "num";
    num.textContent = `${(r.bytes / 1024).toFixed(1)} KiB, ${((8 * r.bytes) / a.subpixels).toFixed(3)} bpsp`;
    el.append(label, bar, num);
  }
}

const base64Bytes = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));

/**
 * The browser's own decode of the JPEG XL file, in ms (createImageBitmap decodes it
 * fully), or why there is none: the browser has no JPEG XL decoder, or the edge sent none.
 */
async function jxlDecode(a: EncodeAnswer): Promise<{ ms: number } | { none: string }> {
  if (!a.jxl) return { none: "— (the edge sent no JPEG XL file)" };
  const blob = new Blob([base64Bytes(a.jxl)], { type: "image/jxl" });
  const t0 = performance.now();
  try {
    const bmp = await createImageBitmap(blob);
    const ms = performance.now() - t0;
    const ok = bmp.width === a.width && bmp.height === a.height;
    bmp.close();
    return ok ? { ms } : { none: "— (decoded to another size)" };
  } catch {
    return { none: "— not supported by this browser" };
  }
}

function timings(l3cMs: number, jxl: { ms: number } | { none: string }): void {
  const el = $("timing");
  el.replaceChildren();
  const row = (codec: string, name: string, text: string, ms?: number) => {
    const label = document.createElement("span");
    label.textContent = name;
    const value = document.createElement("span");
    value.className = "num";
    value.dataset.codec = codec;
    if (ms !== undefined) value.dataset.ms = ms.toFixed(0);
    value.textContent = text;
    el.append(label, value);
  };
  row("l3c", "l3c (this page: Web Workers, wasm)", `${(l3cMs / 1000).toFixed(2)} s`, l3cMs);
  if ("ms" in jxl) row("jxl", "JPEG XL (this browser's decoder)", `${(jxl.ms / 1000).toFixed(2)} s`, jxl.ms);
  else row("jxl", "JPEG XL (this browser's decoder)", jxl.none);
}

function compare(a: ImageData, b: ImageData): number {
  if (a.width !== b.width || a.height !== b.height) return -1;
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) diff++;
  return diff;
}

async function run(file: File): Promise<void> {
  $("result").hidden = true;
  try {
    say(`Reading ${file.name} ...`);
    const original = await originalPixels(file);
    say("Encoding on the edge (l3c, PNG, WebP, AVIF and JPEG XL) ...");
    const r = await fetch("/_l3c/demo/encode", { method: "POST", body: original.png });
    const body = await r.json();
    if (!r.ok) throw new Error(body?.error?.message ?? `HTTP ${r.status}`);
    const answer = body as EncodeAnswer;
    chart(answer);
    say("Decoding the l3c stream in this page ...");
    const stream = base64Bytes(answer.stream);
    const t0 = performance.now();
    const decoded = await decodeL3cStream(stream);
    const ms = performance.now() - t0;
    // After l3c's decode, so that neither is timed while the other runs.
    timings(ms, await jxlDecode(answer));
    const canvas = $<HTMLCanvasElement>("decoded");
    canvas.width = decoded.width;
    canvas.height = decoded.height;
    canvas.getContext("2d")!.putImageData(decoded, 0, 0);
    const diff = compare(decoded, original.data);
    const verdict = $("verdict");
    verdict.dataset.identical = String(diff === 0);
    verdict.dataset.decodeMs = ms.toFixed(0);
    verdict.textContent =
      diff === 0
        ? `Pixels identical: all ${answer.width} x ${answer.height} pixels, decoded in ${(ms / 1000).toFixed(2)} s (${answer.tiles} tiles).`
        : `Pixels differ: ${diff < 0 ? "another size" : `${diff} bytes`}.`;
    $("result").hidden = false;
    say(`${file.name}: ${answer.width} x ${answer.height}, l3c ${answer.l3c.bytes} bytes.`);
  } catch (e) {
    say((e as Error).message, true);
  }
}

const input = $<HTMLInputElement>("file");
input.addEventListener("change", () => {
  if (input.files?.[0]) void run(input.files[0]);
});
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const f = e.dataTransfer?.files[0];
  if (f) void run(f);
});
