/**
 * The float-exact graphs on onnxruntime-web's WebGPU execution provider, in a real
 * Chromium whose WebGPU adapter is SwiftShader (a CPU Vulkan: it proves exactness, not
 * speed). Every float form of the default model runs on WebGPU in the page and must give
 * exactly the integer graph's outputs (onnxruntime-web wasm, same page, same inputs:
 * random and extreme); the browser decoder (web/build.ts's assets) decodes streams on
 * WebGPU in its workers to the original pixels, keeps SwiftShader off under "auto", and
 * falls back to wasm when WebGPU fails. Skipped when Chromium offers no adapter.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Codec } from "../../node-codec/src/codec.js";
import { buildWeb } from "../../web/build.js";
import { launchChromium } from "../harness/chromium.js";
import { defaultModelName } from "../harness/web-env.js";
import { syntheticImage } from "../helpers/left-model.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const ORT = join(ROOT, "node_modules/onnxruntime-web/dist");
const MODEL = defaultModelName();
const TYPES: Record<string, string> = {
  ".mjs": "text/javascript",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
};
// the decoder's assets (web/build.ts) with the test models, served under /_l3c/
const WEB = mkdtempSync(join(tmpdir(), "l3c-webgpu-"));

let server: Server;
let browser: Browser;
let page: Page;
let adapter: string | null = null;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const file = path.startsWith("/ort/")
      ? join(ORT, path.slice(5))
      : path.startsWith("/models/")
        ? join(ROOT, path)
        : path.startsWith("/_l3c/")
          ? join(WEB, path)
          : "";
    if (
      !file.startsWith(ORT) &&
      !file.startsWith(join(ROOT, "models")) &&
      !file.startsWith(join(WEB, "_l3c"))
    ) {
      res.writeHead(path === "/" ? 200 : 404, { "content-type": "text/html" });
      res.end("<!doctype html><title>webgpu</title>");
      return;
    }
    if (!existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  }).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  await buildWeb({ outDir: WEB, modelDirs: [join(ROOT, "test/fixtures/models")], minify: false });
  browser = await launchChromium({ webgpu: true });
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  adapter = await page.evaluate(async () => {
    const gpu = (
      navigator as unknown as {
        gpu?: { requestAdapter(): Promise<{ info?: { architecture?: string } } | null> };
      }
    ).gpu;
    const a = gpu ? await gpu.requestAdapter() : null;
    return a ? (a.info?.architecture ?? "unknown") : null;
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  rmSync(WEB, { recursive: true, force: true });
});

describe("float-exact graphs on WebGPU (Chromium, SwiftShader adapter)", () => {
  it("Chromium here offers a WebGPU adapter without a GPU", () => {
    // Debian's chromium with the flags of launchChromium({ webgpu: true }): SwiftShader.
    expect(adapter).toBe("swiftshader");
  });

  it("every float form gives the integer graph's outputs exactly, on random and extreme inputs", async (ctx) => {
    if (!adapter) ctx.skip();
    const forms = JSON.parse(readFileSync(join(ROOT, "models", MODEL, "forms.json"), "utf8"))["float-exact"];
    const manifest = JSON.parse(readFileSync(join(ROOT, "models", MODEL, "manifest.json"), "utf8"));
    const roles = Object.keys(forms).map((role) => ({
      role,
      float: `/models/${MODEL}/${forms[role].file}`,
      int: `/models/${MODEL}/${manifest.files[role].file}`,
    }));
    const levels = manifest.config.L as number;
    // the page's own module (an import() inside evaluate would be rewritten by vitest)
    await page.addScriptTag({
      type: "module",
      content: 'import * as ort from "/ort/ort.webgpu.min.mjs"; globalThis.ort = ort;',
    });
    await page.waitForFunction(() => "ort" in globalThis);
    const result = await page.evaluate(
      async ({ roles, levels }) => {
        // biome-ignore lint/suspicious/noExplicitAny: onnxruntime-web as the page loaded it
        const ort = (globalThis as any).ort;
        ort.env.wasm.wasmPaths = "/ort/";
        ort.env.wasm.numThreads = 1;
        let seed = 7;
        const rnd = () => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed >> 16;
        };
        const out: { role: string; kind: string; n: number; diff: number; error?: string }[] = [];
        for (const { role, float, int } of roles) {
          const gpu = await ort.InferenceSession.create(float, { executionProviders: ["webgpu"] });
          const cpu = await ort.InferenceSession.create(int, { executionProviders: ["wasm"] });
          for (const kind of ["random", "extreme"]) {
            const feeds: Record<string, unknown> = {};
            for (const name of cpu.inputNames as string[]) {
              // z symbols are levels below L, the rest uint8 features and pixels
              const c = name.startsWith("z") ? 5 : name === "pix" ? (Number(role[3]) || 1) * 3 : 48;
              const top = name.startsWith("z") ? levels - 1 : 255;
              const d = new Uint8Array(c * 8 * 8);
              for (let i = 0; i < d.length; i++)
                d[i] = kind === "random" ? rnd() % (top + 1) : rnd() & 1 ? top : 0;
              feeds[name] = new ort.Tensor("uint8", d, [1, c, 8, 8]);
            }
            try {
              const a = await gpu.run(feeds);
              const b = await cpu.run(feeds);
              let diff = 0;
              let n = 0;
              for (const k of Object.keys(b)) {
                const x = a[k].data as ArrayLike<number>;
                const y = b[k].data as ArrayLike<number>;
                n += y.length;
                for (let i = 0; i < y.length; i++) if (x[i] !== y[i]) diff++;
              }
              out.push({ role, kind, n, diff });
            } catch (e) {
              out.push({ role, kind, n: 0, diff: -1, error: String(e).slice(0, 300) });
            }
          }
        }
        return out;
      },
      { roles, levels },
    );
    expect(result.length).toBe(2 * roles.length);
    for (const r of result) {
      expect(r.error, `${r.role} ${r.kind}`).toBeUndefined();
      expect(r.n, `${r.role} ${r.kind}`).toBeGreaterThan(0);
      expect(r.diff, `${r.role} ${r.kind}`).toBe(0);
    }
  }, 600_000);
});

describe("the browser decoder on WebGPU (Chromium, SwiftShader adapter)", () => {
  const img = syntheticImage(40, 24, 3, 3);
  let stream: Uint8Array;
  const want = (data: Uint8Array) => {
    const out: number[] = [];
    for (let i = 0; i < data.length; i += 3) out.push(data[i], data[i + 1], data[i + 2], 255);
    return out;
  };

  beforeAll(async () => {
    // the tiny fixture model (float-exact forms beside it): SwiftShader is slow
    const codec = await Codec.create({ modelsDir: join(ROOT, "test/fixtures/models") });
    try {
      stream = (await codec.encode(img, { model: "tiny", storedFallback: false })).bytes;
    } finally {
      await codec.close();
    }
  });

  /** A fresh page of the test server with the decoder imported; the URLs it fetches in `fetched`. */
  async function decoderPage(init?: () => void): Promise<{ page: Page; fetched: string[] }> {
    const p = await browser.newPage();
    const fetched: string[] = [];
    p.context().on("request", (r) => {
      fetched.push(new URL(r.url()).pathname);
    });
    if (init) await p.addInitScript(init);
    await p.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await p.addScriptTag({ type: "module", content: 'globalThis.l3c = await import("/_l3c/l3c.js");' });
    await p.waitForFunction(() => "l3c" in globalThis);
    return { page: p, fetched };
  }

  async function decode(p: Page, backend: string): Promise<{ pixels?: number[]; error?: string }> {
    return p.evaluate(
      async ([bytes, b]) => {
        const m = (globalThis as unknown as { l3c: typeof import("../../web/src/index.js") }).l3c;
        try {
          const d = await m.decodeL3cStream(Uint8Array.from(bytes as number[]), {
            backend: b as "webgpu",
            workers: 1,
          });
          return { pixels: Array.from(d.data) };
        } catch (e) {
          const x = e as { code?: string; detail?: string; message: string };
          return { error: `${x.code}: ${x.detail ?? x.message}` };
        }
      },
      [Array.from(stream), backend] as const,
    );
  }

  it('backend "webgpu": the float-exact graphs on WebGPU in a worker give the original pixels', async (ctx) => {
    if (!adapter) ctx.skip();
    const { page: p, fetched } = await decoderPage();
    const r = await decode(p, "webgpu");
    expect(r.error).toBeUndefined();
    expect(r.pixels).toEqual(want(img.data));
    expect(fetched).toContain("/_l3c/l3c-worker-webgpu.js");
    expect(fetched).toContain("/_l3c/ort/ort-wasm-simd-threaded.jspi.wasm");
    expect(fetched).not.toContain("/_l3c/ort/ort-wasm-simd-threaded.wasm");
    const graphs = fetched.filter((f) => f.endsWith(".onnx"));
    expect(graphs.length).toBeGreaterThan(0);
    expect(graphs.every((f) => f.includes("-f32-"))).toBe(true);
    await p.close();
  }, 300_000);

  it('backend "auto" keeps a software adapter (SwiftShader) off: wasm, integer graphs', async (ctx) => {
    if (!adapter) ctx.skip();
    const { page: p, fetched } = await decoderPage();
    const r = await decode(p, "auto");
    expect(r.pixels).toEqual(want(img.data));
    expect(fetched).toContain("/_l3c/l3c-worker.js");
    expect(fetched).not.toContain("/_l3c/l3c-worker-webgpu.js");
    expect(fetched.filter((f) => f.endsWith(".onnx")).some((f) => f.includes("-f32-"))).toBe(false);
    await p.close();
  }, 120_000);

  it('backend "auto" on a (pretended) hardware adapter uses WebGPU, and decodes on wasm when WebGPU fails', async (ctx) => {
    if (!adapter) ctx.skip();
    // the page sees a hardware adapter; the worker's WebGPU runtime cannot be fetched
    const { page: p, fetched } = await decoderPage(() => {
      const gpu = (navigator as unknown as { gpu: { requestAdapter: () => Promise<unknown> } }).gpu;
      gpu.requestAdapter = async () => ({ info: { vendor: "test", architecture: "hardware" } });
    });
    await p.route("**/ort-wasm-simd-threaded.jspi.wasm", (route) => route.fulfill({ status: 404 }));
    const warnings: string[] = [];
    p.on("console", (m) => {
      if (m.type() === "warning") warnings.push(m.text());
    });
    const r = await decode(p, "auto");
    expect(r.error).toBeUndefined();
    expect(r.pixels).toEqual(want(img.data));
    expect(fetched).toContain("/_l3c/l3c-worker-webgpu.js");
    expect(fetched).toContain("/_l3c/l3c-worker.js");
    expect(warnings.some((w) => w.startsWith("l3c: WebGPU decoding failed"))).toBe(true);
    // and "webgpu" asked for by name reports the failure instead
    const forced = await decode(p, "webgpu");
    expect(forced.error).toMatch(/^INTERNAL: /);
    await p.close();
  }, 120_000);

  it("refuses an unknown backend (INVALID_ARGUMENT)", async () => {
    const { page: p } = await decoderPage();
    const r = await decode(p, "webgl");
    expect(r.error).toBe(
      "INVALID_ARGUMENT: Expected one of auto, wasm, webgpu for backend but received webgl of type string",
    );
    await p.close();
  });
});
