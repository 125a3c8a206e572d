/**
 * @module inputs
 * The files a command works on: the files named, and the files under the folders named
 * (recursively) whose extension fits. Symbolic links to files are followed; links to
 * folders are not (as `find` without -L); a broken link or a loop is a failed input with
 * its reason, never skipped silently.
 */

import { lstatSync, readlinkSync, type Stats, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, extname, join, relative } from "node:path";
import { UsageError } from "./errors.js";

/** What `l3c encode` takes from folders. */
export const IMAGE_EXTS: ReadonlySet<string> = new Set([
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

export const STREAM_EXTS: ReadonlySet<string> = new Set([".l3c"]);

export interface Input {
  path: string;
  /** Path under the folder it was found in (its output's path under -o), else the base name. */
  rel: string;
  /** Found in a folder named on the command line (not named itself). */
  inFolder: boolean;
  /** Why it cannot be read (a broken symbolic link, a loop): it fails, the others go on. */
  problem?: string;
}

/** Why `path` cannot be stat'ed, in words: a loop, a broken link, a missing file. */
function statProblem(path: string, e: NodeJS.ErrnoException): string {
  if (e.code === "ELOOP") return "too many levels of symbolic links";
  if (e.code === "EACCES") return "permission denied";
  if (e.code === "ENOENT" || e.code === "ENOTDIR") {
    try {
      if (lstatSync(path).isSymbolicLink()) return `broken symbolic link to ${readlinkSync(path)}`;
    } catch {
      // not there at all
    }
    return "no such file or folder";
  }
  return e.message;
}

/** The inputs named on the command line, folders expanded (sorted), in order. */
export async function expandInputs(args: string[], exts: ReadonlySet<string>): Promise<Input[]> {
  const out: Input[] = [];
  for (const arg of args) {
    let st: Stats;
    try {
      st = statSync(arg);
    } catch (e) {
      throw new UsageError(`${statProblem(arg, e as NodeJS.ErrnoException)}: ${arg}`);
    }
    if (!st.isDirectory()) {
      out.push({ path: arg, rel: basename(arg), inFolder: false });
      continue;
    }
    const entries = await readdir(arg, { recursive: true, withFileTypes: true });
    const found: Input[] = [];
    for (const e of entries) {
      if (!exts.has(extname(e.name).toLowerCase())) continue;
      const path = join(e.parentPath, e.name);
      const input: Input = { path, rel: relative(arg, path), inFolder: true };
      if (e.isSymbolicLink()) {
        try {
          if (!statSync(path).isFile()) continue; // a link to a folder is not followed
        } catch (err) {
          input.problem = statProblem(path, err as NodeJS.ErrnoException);
        }
      } else if (!e.isFile()) continue;
      found.push(input);
    }
    out.push(...found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  }
  return out;
}
