/**
 * @module cli
 * `l3c encode | decode | info | models | bulk`: reads the command line and runs one
 * command (commands/). Run `l3c --help` for usage.
 * Exit codes: 0 success, 1 some input failed (each failure is reported), 2 usage error.
 */

import { parseArgs } from "node:util";
import { OUTPUT_FORMATS } from "../../node-codec/src/image-io.js";
import { CORE_KINDS, defaultWorkers, RUNTIMES } from "../../node-codec/src/runtime-options.js";
import { expectTileSize } from "../../shared/format.js";
import { readOptions } from "../../shared/options.js";
import { cmdBulk } from "./commands/bulk.js";
import { cmdDecode } from "./commands/decode.js";
import { cmdEncode } from "./commands/encode.js";
import { cmdInfo } from "./commands/info.js";
import { cmdModels } from "./commands/models.js";
import { describe, UsageError } from "./errors.js";
import type { RuntimeFlags } from "./runtime-flags.js";
import { USAGE } from "./usage.js";

/** After a usage error: the message stays the last thing on the screen, not the usage. */
const HINT = "Try 'l3c --help' for usage.";

const OPTIONS = {
  output: { type: "string", short: "o" },
  force: { type: "boolean", short: "f" },
  resume: { type: "boolean" },
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
} as const;

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (e) {
    process.stderr.write(`l3c: ${(e as Error).message}\n${HINT}\n`);
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
  try {
    return await run(cmd, inputs, o);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`l3c: ${e.message}\n${HINT}\n`);
      return 2;
    }
    process.stderr.write(`l3c: error: ${describe(e)}\n`);
    return 1;
  }
}

async function run(cmd: string, inputs: string[], o: Record<string, string | boolean | undefined>) {
  // Every option in the one idiom (shared/options.ts), named as typed: --tile-size.
  const opt = readOptions(o, { label: (k) => `--${k}`, error: (m) => new UsageError(m) });
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
  const common = {
    runtime: opt.oneOf("runtime", RUNTIMES, "node"),
    core: opt.oneOf("core", CORE_KINDS, "wasm-simd"),
    threads: opt.integer("threads", 1, 256),
    workers: opt.integer("workers", 0, 256, defaultWorkers()),
    force: Boolean(o.force),
    resume: Boolean(o.resume),
    quiet: Boolean(o.quiet),
  } satisfies RuntimeFlags & Record<string, unknown>;
  if (cmd === "encode") {
    return await cmdEncode(inputs, opt.text("output"), {
      ...common,
      tileSize: opt.value("tile-size", expectTileSize),
      model: opt.text("model"),
      verify: !o["no-verify"],
    });
  }
  if (cmd === "decode") {
    return await cmdDecode(inputs, opt.text("output"), {
      ...common,
      format: opt.oneOf("format", OUTPUT_FORMATS, "png"),
    });
  }
  throw new UsageError(`unknown command ${cmd}`);
}
