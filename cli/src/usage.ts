/**
 * @module usage
 * `l3c --help`.
 */

export const USAGE = `usage:
  l3c encode <image|folder>... [-o out.l3c | -o folder] [options]
  l3c decode <file.l3c|folder>... [-o out.png|.webp|.ppm | -o folder] [--format png|webp|ppm] [options]
  l3c info <file.l3c|folder>... [--json]
  l3c models
  l3c bulk <bucket> [--prefix p] [--concurrency n] [--json]
                                   (re)encode a bucket through the backend: resumable, verified

options:
  -o, --output <path>     output file (one input) or folder (several inputs or a folder; created);
                          without -o, each output goes beside its input (photo.png -> photo.l3c)
  -f, --force             overwrite existing outputs (never the input itself)
      --resume            skip inputs whose output exists and already holds them (the stream's
                          tile checksums match the pixels); other existing outputs are errors
                          unless --force
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
  -h, --help

Outputs are never overwritten without --force. Each is written to a temporary file beside
it and renamed when complete, so a full disk or Ctrl-C leaves no partial file. Two inputs
that would write the same output (dup.png and dup.jpg -> dup.l3c) stop the run before any
coding (exit 2). In folders, symbolic links to files are followed, links to folders are not.

bulk reads L3C_BACKEND_URL, L3C_BACKEND_TOKEN, S3_ENDPOINT (optional), S3_REGION, AWS
credentials, HOOKS_VERIFY, HOOKS_ATTEMPTS and HOOKS_BACKOFF_MS from the environment
(hooks/src/env.ts); it stops early after 5 transient failures in a row
(backend or bucket down) and counts the rest as not attempted: run it again to resume.

Exit codes: 0 success, 1 some input failed (each named with its reason), 2 usage error.`;
