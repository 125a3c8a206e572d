/**
 * @module commands/bulk
 * `l3c bulk <bucket>`: (re)encodes a bucket through the backend with the S3 hooks'
 * engine (hooks/src/bulk.ts): resumable, verified, bytes saved.
 */

import { UsageError } from "../errors.js";
import { Progress } from "../progress.js";

export interface BulkFlags {
  prefix: string;
  concurrency?: number;
  pageSize?: number;
  json: boolean;
  quiet: boolean;
}

export async function cmdBulk(args: string[], opt: BulkFlags): Promise<number> {
  if (args.length !== 1) throw new UsageError("bulk: expected exactly one bucket");
  const { bulkEncode } = await import("../../../hooks/src/bulk.js");
  const { hookCoreConfigFromEnv } = await import("../../../hooks/src/env.js");
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
