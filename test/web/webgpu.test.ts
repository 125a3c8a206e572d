/**
 * The float-exact graphs on onnxruntime-web's WebGPU execution provider, in a real
 * Chromium whose WebGPU adapter is SwiftShader (a CPU Vulkan: it proves exactness, not
 * speed). Every float form of the default model runs on WebGPU in the page and must give
 * exactly the integer graph's outputs (onnxruntime-web wasm, same page, same inputs:
 * random and extreme). Skipped when Chromium offers no adapter.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../harness/chromium.js";
import { defaultModelName } from "../harness/web-env.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const ORT = join(ROOT, "node_modules/onnxruntime-web/dist");
const MODEL = defaultModelName();
const TYPES: Record<string, string> = { ".mjs": "text/javascript", ".wasm": "application/wasm" };

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
        : "";
    if (!file.startsWith(ORT) && !file.startsWith(join(ROOT, "models"))) {
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
