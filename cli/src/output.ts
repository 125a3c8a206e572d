/**
 * @module output
 * Writing an output without ever destroying a file:
 * - an existing output is replaced only with `force` (and never when it is the input
 *   itself, or a folder); a character device or a FIFO (/dev/null, a pipe) is written
 *   in place, as `cp` does;
 * - the bytes go to a temporary file beside the output (`.<name>.<random>.tmp`), are
 *   fsync'ed, then published under the final name: without `force` by a hard link, which
 *   fails if the name was taken meanwhile, with `force` by a rename, which replaces the
 *   old file in one step. A failed write (disk full) leaves the old file as it was and
 *   no temporary file; so does Ctrl-C (SIGINT, SIGTERM, SIGHUP remove the temporary
 *   files, then end the process by the same signal).
 */

import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { InputError, OutputError, systemReason } from "./errors.js";

/** What is at an output path now. */
export type Target = "absent" | "exists" | "device";

/** Files this process has published (device:inode): never replaced in the same run. */
const published = new Set<string>();
/** Temporary files being written: removed on a signal or at exit. */
const temporary = new Set<string>();
let hooked = false;

function removeTemporary(): void {
  for (const t of temporary) {
    try {
      unlinkSync(t);
    } catch {
      // already gone
    }
  }
  temporary.clear();
}

function hookSignals(): void {
  if (hooked) return;
  hooked = true;
  process.once("exit", removeTemporary);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      removeTemporary();
      process.kill(process.pid, sig); // the listener is gone: the default action ends the process
    });
  }
}

const inode = (p: string): string | undefined => {
  try {
    const st = statSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
};

/**
 * What is at `out`, refusing what may never be written: the input itself (even with
 * --force: the same file, through any link), a folder, a block device, a socket.
 */
export function checkTarget(out: string, input: string): Target {
  try {
    lstatSync(out);
  } catch {
    return "absent";
  }
  const same = inode(out);
  if (same !== undefined && same === inode(input))
    throw new OutputError("SAME_FILE", out, `${out} is the input itself: not overwritten, even with --force`);
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(out);
  } catch {
    return "exists"; // a broken symbolic link: a name that is taken
  }
  if (st.isDirectory()) throw new OutputError("NOT_A_FILE", out, `${out} is a folder`);
  if (st.isCharacterDevice() || st.isFIFO()) return "device";
  if (!st.isFile()) throw new OutputError("NOT_A_FILE", out, `${out} is not a regular file`);
  return "exists";
}

/** The refusal for an existing output without --force. */
export function existsError(out: string): OutputError {
  return new OutputError("EXISTS", out, `${out} already exists: use --force to overwrite it`);
}

/**
 * The target of one planned job, checked before any work: the plan's own refusal, the
 * input itself, a folder, or an existing file without --force or --resume throw.
 */
export function jobTarget(
  job: { path: string; out: string; problem?: string },
  opt: { force?: boolean; resume?: boolean },
): Target {
  if (job.problem) throw new InputError(job.problem);
  const target = checkTarget(job.out, job.path);
  if (target === "exists" && !opt.force && !opt.resume) throw existsError(job.out);
  return target;
}

/**
 * Writes `bytes` to `out` as the module comment says. `input` is checked again (the
 * output may have appeared since the plan was made).
 */
export async function writeOutput(
  out: string,
  bytes: Uint8Array,
  opts: { input: string; force: boolean },
): Promise<void> {
  const target = checkTarget(out, opts.input);
  if (target === "exists" && !opts.force) throw existsError(out);
  if (target === "device") return writeInPlace(out, bytes);
  const dir = dirname(out);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new OutputError("WRITE", out, `cannot create folder ${dir} (${systemReason(e)})`, { cause: e });
  }
  hookSignals();
  const tmp = join(dir, `.${basename(out).slice(0, 200)}.${randomBytes(6).toString("hex")}.tmp`);
  temporary.add(tmp);
  try {
    const fh = await open(tmp, "wx");
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    publish(tmp, out, opts.force);
  } catch (e) {
    if (e instanceof OutputError) throw e;
    throw new OutputError("WRITE", out, `cannot write ${out} (${systemReason(e)})`, { cause: e });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // published by rename, or never created
    }
    temporary.delete(tmp);
  }
  const id = inode(out);
  if (id) published.add(id);
  syncFolder(dir);
}

/** Gives the finished temporary file its final name (see the module comment). */
function publish(tmp: string, out: string, force: boolean): void {
  if (force) {
    const id = inode(out);
    if (id && published.has(id)) {
      // two names for one file (a case-insensitive file system): the other input's output stays
      throw new OutputError("EXISTS", out, `${out} was written by another input of this run`);
    }
    renameSync(tmp, out);
    return;
  }
  try {
    linkSync(tmp, out);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw existsError(out);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EOPNOTSUPP") throw e;
    // no hard links on this file system: check, then rename (a narrow race, not a silent loss)
    if (checkTarget(out, tmp) !== "absent") throw existsError(out);
    renameSync(tmp, out);
  }
}

/** A device or a FIFO: written as is (nothing there to replace, nothing to clean up). */
async function writeInPlace(out: string, bytes: Uint8Array): Promise<void> {
  try {
    const fh = await open(out, "w");
    try {
      await fh.writeFile(bytes);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new OutputError("WRITE", out, `cannot write ${out} (${systemReason(e)})`, { cause: e });
  }
}

/** The new name survives a crash too (best effort: not every system syncs folders). */
function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // e.g. Windows
  }
}
