/**
 * @module plan
 * Where each input's output goes, decided for all inputs before any is coded:
 * - one file named on the command line and `-o` that is not a folder: `-o` itself;
 * - otherwise under the folder `-o` (the input's path under the folder it was found in,
 *   its extension replaced), or beside the input without `-o`.
 * Two inputs that would write one file (`dup.png` and `dup.jpg` both make `dup.l3c`) are a
 * usage error naming them, before anything is written: no output is ever lost to another.
 * So is `-o out.l3c` for several inputs, which would otherwise become a folder named so.
 */

import { statSync } from "node:fs";
import { basename, dirname, extname, join, resolve, sep } from "node:path";
import { UsageError } from "./errors.js";
import { IMAGE_EXTS, type Input, STREAM_EXTS } from "./inputs.js";

export interface Job extends Input {
  /** The output path. */
  out: string;
}

export interface Plan {
  jobs: Job[];
  /** One input named on the command line, written to `-o` itself (its format from `-o`). */
  toFile: boolean;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** `name.png` -> `name` + ext. */
function withExt(path: string, ext: string): string {
  const base = basename(path);
  const stem = base.includes(".", 1) ? base.slice(0, base.length - extname(base).length) : base;
  return join(dirname(path), stem + ext);
}

/** A name `-o` should not be taken as a folder by: an image or a stream file's. */
function looksLikeFile(p: string): boolean {
  const ext = extname(p).toLowerCase();
  return IMAGE_EXTS.has(ext) || STREAM_EXTS.has(ext) || ext === ".pnm" || ext === ".pam";
}

export function planOutputs(inputs: Input[], output: string | undefined, ext: string): Plan {
  const toFile =
    inputs.length === 1 &&
    !inputs[0].inFolder &&
    output !== undefined &&
    !output.endsWith(sep) &&
    !output.endsWith("/") &&
    !isDir(output);
  if (toFile) return { jobs: [{ ...inputs[0], out: output }], toFile };
  if (output !== undefined && !isDir(output)) {
    const why = inputs.length > 1 ? `there are ${inputs.length} inputs` : `${inputs[0].path} is in a folder`;
    if (exists(output)) throw new UsageError(`-o ${output} is a file, but ${why}: name a folder`);
    if (looksLikeFile(output))
      throw new UsageError(`-o ${output} names a file, but ${why}: name a folder (it is created)`);
  }
  const jobs = inputs.map((f) => ({
    ...f,
    out: output === undefined ? withExt(f.path, ext) : join(output, withExt(f.rel, ext)),
  }));
  refuseClashes(jobs);
  return { jobs, toFile };
}

/** Usage error naming every output that two or more inputs would write. */
function refuseClashes(jobs: Job[]): void {
  const byOut = new Map<string, Job[]>();
  for (const j of jobs) {
    const key = resolve(j.out);
    byOut.set(key, [...(byOut.get(key) ?? []), j]);
  }
  const clashes = [...byOut.values()].filter((js) => js.length > 1);
  if (!clashes.length) return;
  const lines = clashes.map((js) => `  ${js[0].out} <- ${js.map((j) => j.path).join(", ")}`);
  throw new UsageError(
    `inputs would overwrite each other's output (nothing was coded):\n${lines.join("\n")}\n` +
      "rename them, or code them in separate runs with separate -o folders",
  );
}
