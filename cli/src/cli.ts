/**
 * @module cli
 * `l3c encode | decode | info | models | bulk`. Run `l3c --help` for usage.
 * Exit codes: 0 success, 1 some input failed (each failure is reported), 2 usage error.
 */

import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Codec } from "../../node-codec/src/codec.js";
import { formatFromPath, OUTPUT_FORMATS, readImage, writeImageFile } from "../../node-codec/src/image-io.js";
import { listModels } from "../../node-codec/src/model-store.js";
import {
  CORE_KINDS,
  type CoreKind,
  defaultWorkers,
  RUNTIMES,
  type Runtime,
} from "../../node-codec/src/runtime-options.js";
import { L3cError } from "../../shared/errors.js";
import {
  bitsPerSubpixel,
  expectTileSize,
  LAYOUT_NAMES,
  parseHeader,
  subpixels,
  TileMode,
} from "../../shared/format.js";
import { readOptions } from "../../shared/options.js";
import { Progress } from "./progress.js";

const USAGE = `usage:
  l3c encode <image|folder>... [-o out.l3c | -o folder] [options]
  l3c decode <file.l3c|folder>... [-o out.png|.webp|.ppm | -o folder] [--format png|webp|ppm] [options]
  l3c info <file.l3c>... [--json]
  l3c models
  l3c bulk <bucket> [--prefix p] [--concurrency n] [--json]
                                   (re)encode a bucket through the backend: resumable, verified

options:
  -o, --output <path>     output file (one input) or folder (several inputs or a folder)
      --model <name|id>   model to encode with (default: $L3C_MODEL, else models/default)
      --tile-size <n>     tile side, multiple of 8 in [64, 4096] (default 256)
      --no-verify         skip decoding the new stream to check it (encode verifies by default)
      --workers <n>       worker threads coding tiles in parallel (default: cores, at most 8; 0: none)
      --threads <n>       onnxruntime threads per worker (default: cores / workers; 0 workers: onnxruntime's)
      --runtime <r>       node (onnxruntime-node, default) or wasm (onnxruntime-web)
      --core <c>          entropy coder: wasm-simd (default), wasm (scalar) or ts (the TypeScript
                          reference); all three write and read the same bytes
      --format <f>        decode output format for folders: png (default), webp, ppm
      --prefix <p>        bulk: only keys under this prefix
      --concurrency <n>   bulk: objects coded at once (default 1)
      --page-size <n>     bulk: keys per listing request (default: the server's)
      --json              info, bulk: one JSON object per line instead of text
  -q, --quiet             no progress output

bulk reads L3C_BACKEND_URL, L3C_BACKEND_TOKEN, S3_ENDPOINT (optional), S3_REGION, AWS
credentials, HOOKS_VERIFY, HOOKS_ATTEMPTS and HOOKS_BACKOFF_MS from the environment
(hooks/src/env.ts); it stops early after 5 transient failures in a row
(backend or bucket down) and counts the rest as not attempted: run it again to resume.
  -h, --help`;

const IMAGE_EXTS = new Set([
  ".png",
  ".jpg",
  ".jpeg",
  ".webp",
  ".tif",
  ".tiff",
  ".ppm",
  ".pgm",
  ".bmp",
  ".gif",
  ".avif",
]);

class UsageError extends Error {}

/** What runs the codec: --runtime, --core, --threads, --workers. */
interface RuntimeFlags {
  runtime: Runtime;
  core: CoreKind;
  threads?: number;
  workers: number;
}

async function expand(inputs: string[], exts: Set<string>): Promise<Array<{ path: string; rel: string }>> {
  const out: Array<{ path: string; rel: string }> = [];
  for (const inp of inputs) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(inp);
    } catch {
      throw new UsageError(`no such file or folder: ${inp}`);
    }
    if (st.isDirectory()) {
      const entries = await readdir(inp, { recursive: true, withFileTypes: true });
      const files = entries
        .filter((e) => e.isFile() && exts.has(extname(e.name).toLowerCase()))
        .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
        .sort();
      for (const f of files) out.push({ path: f, rel: relative(inp, f) });
    } else out.push({ path: inp, rel: basename(inp) });
  }
  return out;
}

function describe(e: unknown): string {
  if (e instanceof L3cError) return `${e.describe()} [${e.code}]`;
  return (e as Error)?.message ?? String(e);
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: "string", short: "o" },
        model: { type: "string" },
        "tile-size": { type: "string" },
        "no-verify": { type: "boolean" },
        threads: { type: "string" },
        workers: { type: "string" },
        runtime: { type: "string" },
        core: { type: "string" },
        format: { type: "string" },
        json: { type: "boolean" },
        prefix: { type: "string" },
        concurrency: { type: "string" },
        "page-size": { type: "string" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    process.stderr.write(`l3c: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values: o, positionals } = parsed as {
    values: Record<string, string | boolean | undefined>;
    positionals: string[];
  };
  const [cmd, ...inputs] = positionals;
  if (o.help || !cmd) {
    (o.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return o.help ? 0 : 2;
  }
  // Every option in the one idiom (shared/options.ts), named as typed: --tile-size.
  const opt = readOptions(o, { label: (k) => `--${k}`, error: (m) => new UsageError(m) });
  try {
    if (cmd === "models") return cmdModels();
    if (cmd === "bulk")
      return await cmdBulk(inputs, {
        prefix: opt.text("prefix") ?? "",
        concurrency: opt.integer("concurrency", 1, 64),
        pageSize: opt.integer("page-size", 1, 1000),
        json: Boolean(o.json),
        quiet: Boolean(o.quiet),
      });
    if (!inputs.length) throw new UsageError(`${cmd}: no inputs`);
    if (cmd === "info") return await cmdInfo(inputs, Boolean(o.json));
    const runtime: RuntimeFlags = {
      runtime: opt.oneOf("runtime", RUNTIMES, "node"),
      core: opt.oneOf("core", CORE_KINDS, "wasm-simd"),
      threads: opt.integer("threads", 1, 256),
      workers: opt.integer("workers", 0, 256, defaultWorkers()),
    };
    if (cmd === "encode") {
      return await cmdEncode(inputs, opt.text("output"), {
        ...runtime,
        tileSize: opt.value("tile-size", expectTileSize),
        model: opt.text("model"),
        verify: !o["no-verify"],
        quiet: Boolean(o.quiet),
      });
    }
    if (cmd === "decode") {
      return await cmdDecode(inputs, opt.text("output"), {
        ...runtime,
        format: opt.oneOf("format", OUTPUT_FORMATS, "png"),
        quiet: Boolean(o.quiet),
      });
    }
    throw new UsageError(`unknown command ${cmd}`);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`l3c: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`l3c: error: ${describe(e)}\n`);
    return 1;
  }
}

async function cmdBulk(
  args: string[],
  opt: { prefix: string; concurrency?: number; pageSize?: number; json: boolean; quiet: boolean },
): Promise<number> {
  if (args.length !== 1) throw new UsageError("bulk: expected exactly one bucket");
  const { bulkEncode } = await import("../../hooks/src/bulk.js");
  const { hookCoreConfigFromEnv } = await import("../../hooks/src/env.js");
  let cfg: ReturnType<typeof hookCoreConfigFromEnv>;
  try {
    cfg = hookCoreConfigFromEnv(process.env);
  } catch (e) {
    throw new UsageError(`bulk: ${(e as Error).message}`);
  }
  const bar = new Progress("bulk", 0, opt.quiet || opt.json);
  const r = await bulkEncode({ ...cfg, deadLetter: undefined, log: () => undefined }, args[0], opt.prefix, {
    onProgress: (done, total, note) => bar.update(done, note, total),
    concurrency: opt.concurrency,
    pageSize: opt.pageSize,
  });
  bar.done();
  const saved = r.sourceBytes - r.streamBytes;
  if (opt.json) process.stdout.write(`${JSON.stringify({ ...r, savedBytes: saved })}\n`);
  else {
    process.stdout.write(
      `${r.listed} images: ${r.stored} encoded, ${r.skipped} already up to date or skipped, ${r.failed} failed` +
        `${r.pending ? `, ${r.pending} not attempted` : ""}\n` +
        `encoded now: ${r.sourceBytes} -> ${r.streamBytes} bytes (${saved} saved, ` +
        `${r.sourceBytes ? ((saved / r.sourceBytes) * 100).toFixed(1) : "0"}%)\n`,
    );
    for (const f of r.failures) process.stderr.write(`l3c: ${f.key}: ${f.reason}\n`);
    if (r.stopped) process.stderr.write(`l3c: bulk stopped early (${r.stopped}): run it again to resume\n`);
  }
  return r.failed || r.pending ? 1 : 0;
}

function runtimeOptions(f: RuntimeFlags) {
  return { runtime: f.runtime, core: f.core, threads: f.threads, workers: f.workers };
}

function cmdModels(): number {
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

async function cmdInfo(inputs: string[], json: boolean): Promise<number> {
  const names = new Map(listModels().map((m) => [m.id, m.name]));
  let failed = 0;
  const files = await expand(inputs, new Set([".l3c"]));
  for (const { path } of files) {
    try {
      const bytes = new Uint8Array(readFileSync(path));
      const h = parseHeader(bytes);
      const coded = h.tiles.filter((t) => bytes[t.offset] === TileMode.CODED).length;
      const info = {
        file: path,
        version: h.version,
        width: h.width,
        height: h.height,
        layout: LAYOUT_NAMES[h.layout],
        model: h.modelHash,
        modelName: names.get(h.modelHash) ?? (h.modelId.every((b) => b === 0) ? "none" : "unknown"),
        tileSize: h.tileSize,
        tiles: h.tileCount,
        codedTiles: coded,
        storedTiles: h.tileCount - coded,
        bytes: bytes.length,
        headerBytes: h.headerSize,
        bpsp: bitsPerSubpixel(bytes.length, h),
      };
      if (json) process.stdout.write(`${JSON.stringify(info)}\n`);
      else {
        process.stdout.write(
          `${path}\n  ${info.width}x${info.height} ${info.layout}, format v${info.version}\n` +
            `  model ${info.model} (${info.modelName})\n` +
            `  ${info.tiles} tiles of ${info.tileSize} (${coded} coded, ${info.storedTiles} stored)\n` +
            `  ${info.bytes} bytes (header ${info.headerBytes}), ${info.bpsp.toFixed(4)} bpsp\n`,
        );
      }
    } catch (e) {
      failed++;
      process.stderr.write(`l3c: ${path}: ${describe(e)}\n`);
    }
  }
  return failed ? 1 : 0;
}

function outPathFor(
  inputs: string[],
  files: Array<{ path: string; rel: string }>,
  output: string | undefined,
  i: number,
  ext: string,
): string {
  const f = files[i];
  const single = files.length === 1 && !statSync(inputs[0]).isDirectory();
  if (single && output && !(existsDir(output) || output.endsWith("/"))) return output;
  const base = f.rel.replace(/\.[^./]+$/, "") + ext;
  if (output) return join(output, base);
  return join(dirname(f.path), basename(f.path).replace(/\.[^./]+$/, "") + ext);
}

function existsDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

async function cmdEncode(
  inputs: string[],
  output: string | undefined,
  opt: RuntimeFlags & {
    tileSize?: number;
    model?: string;
    verify: boolean;
    quiet: boolean;
  },
): Promise<number> {
  const files = await expand(inputs, IMAGE_EXTS);
  if (!files.length) throw new UsageError("no images found");
  const codec = await Codec.create(runtimeOptions(opt));
  const entry = codec.model(opt.model);
  const bar = new Progress("encode", files.length, opt.quiet);
  let failed = 0;
  let inBytes = 0;
  let outBytes = 0;
  let codedSubpixels = 0;
  try {
    for (let i = 0; i < files.length; i++) {
      const { path } = files[i];
      try {
        const img = await readImage(path);
        const tileBar =
          files.length === 1 ? new Progress(`  ${basename(path)} tiles`, 1, opt.quiet) : undefined;
        const r = await codec.encode(img, {
          model: entry.id,
          tileSize: opt.tileSize,
          verify: opt.verify,
          onProgress: tileBar ? (d, t) => tileBar.update(d, "", t) : undefined,
        });
        tileBar?.done();
        const out = outPathFor(inputs, files, output, i, ".l3c");
        mkdirSync(dirname(resolve(out)), { recursive: true });
        writeFileSync(out, r.bytes);
        inBytes += statSync(path).size;
        outBytes += r.bytes.length;
        codedSubpixels += subpixels(img);
        if (files.length === 1 && !opt.quiet) {
          process.stderr.write(
            `${path} -> ${out}: ${r.bytes.length} bytes, ${bitsPerSubpixel(r.bytes.length, img).toFixed(4)} bpsp${opt.verify ? ", verified" : ""}\n`,
          );
        }
      } catch (e) {
        failed++;
        process.stderr.write(`\nl3c: ${path}: ${describe(e)}\n`);
      }
      bar.update(i + 1, `${(outBytes / 1e6).toFixed(1)} MB written`);
    }
  } finally {
    bar.done();
    await codec.close();
  }
  if (files.length > 1 && !opt.quiet) {
    process.stderr.write(
      `encoded ${files.length - failed}/${files.length} files: ${inBytes} -> ${outBytes} bytes, ${((outBytes * 8) / Math.max(1, codedSubpixels)).toFixed(4)} bpsp${failed ? `, ${failed} failed` : ""}\n`,
    );
  }
  return failed ? 1 : 0;
}

async function cmdDecode(
  inputs: string[],
  output: string | undefined,
  opt: RuntimeFlags & {
    format: (typeof OUTPUT_FORMATS)[number];
    quiet: boolean;
  },
): Promise<number> {
  const files = await expand(inputs, new Set([".l3c"]));
  if (!files.length) throw new UsageError("no .l3c files found");
  const single = files.length === 1 && !statSync(inputs[0]).isDirectory() && output && !existsDir(output);
  if (single && output) formatFromPath(output); // validate before decoding
  const codec = await Codec.create(runtimeOptions(opt));
  const bar = new Progress("decode", files.length, opt.quiet);
  let failed = 0;
  try {
    for (let i = 0; i < files.length; i++) {
      const { path } = files[i];
      try {
        const bytes = new Uint8Array(readFileSync(path));
        const img = await codec.decode(bytes);
        const out = outPathFor(inputs, files, output, i, `.${opt.format}`);
        mkdirSync(dirname(resolve(out)), { recursive: true });
        await writeImageFile(out, img, single ? formatFromPath(out) : opt.format);
        if (files.length === 1 && !opt.quiet)
          process.stderr.write(`${path} -> ${out}: ${img.width}x${img.height}, checksums ok\n`);
      } catch (e) {
        failed++;
        process.stderr.write(`\nl3c: ${path}: ${describe(e)}\n`);
      }
      bar.update(i + 1);
    }
  } finally {
    bar.done();
    await codec.close();
  }
  return failed ? 1 : 0;
}
