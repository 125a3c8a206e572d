/**
 * @module commands/decode
 * `l3c decode <file.l3c|folder>...`: streams to PNG, WebP or PPM/PGM, every tile checked
 * against its checksum. Outputs are planned and written as encode's are: never over an
 * existing file without --force; --resume skips images that already hold the stream's
 * pixels.
 */

import { readFileSync } from "node:fs";
import { Codec } from "../../../node-codec/src/codec.js";
import {
  encodeImageFile,
  formatFromPath,
  type OutputFormat,
  readImage,
} from "../../../node-codec/src/image-io.js";
import { parseHeader } from "../../../shared/format.js";
import { OutputError, UsageError } from "../errors.js";
import { expandInputs, STREAM_EXTS } from "../inputs.js";
import { jobTarget, writeOutput } from "../output.js";
import { planOutputs } from "../plan.js";
import { pixelsMatch } from "../resume.js";
import { type RuntimeFlags, runtimeOptions } from "../runtime-flags.js";
import { Tally } from "../tally.js";

export interface DecodeFlags extends RuntimeFlags {
  format: OutputFormat;
  force: boolean;
  resume: boolean;
  quiet: boolean;
}

/** Whether the image at `path` holds exactly the pixels of `stream` (its tile checksums). */
async function alreadyDecoded(path: string, stream: Uint8Array): Promise<boolean> {
  try {
    return pixelsMatch(parseHeader(stream), await readImage(path));
  } catch {
    return false; // not an image, or not a stream: it does not match
  }
}

export async function cmdDecode(
  args: string[],
  output: string | undefined,
  opt: DecodeFlags,
): Promise<number> {
  const inputs = await expandInputs(args, STREAM_EXTS);
  if (!inputs.length) throw new UsageError("no .l3c files found");
  const { jobs, toFile } = planOutputs(inputs, output, `.${opt.format}`);
  const format = toFile ? formatFromPath(jobs[0].out) : opt.format; // checked before decoding
  const codec = await Codec.create(runtimeOptions(opt));
  const single = jobs.length === 1;
  const tally = new Tally("decode", jobs.length, opt.quiet);
  const say = (line: string) => single && !opt.quiet && process.stderr.write(`${line}\n`);
  try {
    for (const [i, job] of jobs.entries()) {
      const { path, out } = job;
      try {
        const target = jobTarget(job, opt);
        const bytes = new Uint8Array(readFileSync(path));
        if (target === "exists" && opt.resume) {
          if (await alreadyDecoded(out, bytes)) {
            tally.skipped++;
            say(`${path} -> ${out}: already done (matches), skipped`);
            continue;
          }
          if (!opt.force) {
            const why = `${out} already exists and does not hold the pixels of ${path}`;
            throw new OutputError("MISMATCH", out, `${why}: use --force to replace it`);
          }
        }
        const img = await codec.decode(bytes);
        await writeOutput(out, await encodeImageFile(img, format), { input: path, force: opt.force });
        tally.done++;
        say(`${path} -> ${out}: ${img.width}x${img.height}, checksums ok`);
      } catch (e) {
        tally.fail(path, e);
      } finally {
        tally.bar.update(i + 1);
      }
    }
  } finally {
    tally.bar.done();
    await codec.close();
  }
  if (!single && !opt.quiet) process.stderr.write(`${tally.summary("decoded")}\n`);
  return tally.status;
}
