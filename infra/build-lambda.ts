/**
 * `npm run build:lambda`: the S3 hook as an AWS Lambda deployment package,
 * `dist/hooks-lambda.zip` (what `infra/aws/main.tf` uploads): `index.mjs` (the handler of
 * hooks/src/lambda.ts and everything it imports, bundled by esbuild; the AWS
 * SDK included, so its version is the one tested here) plus `node_modules/` holding sharp
 * and its linux-x64 binaries, copied from this checkout (no download). Build on linux-x64
 * for the `nodejs24.x` x86_64 runtime.
 *
 *   npm run build:lambda [-- --out dist] [--no-zip]
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { arch, platform } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
/** sharp and what it loads at run time (package.json dependencies + the linux-x64 binaries). */
const SHARP_PACKAGES = [
  "sharp",
  "@img/colour",
  "detect-libc",
  "semver",
  "@img/sharp-linux-x64",
  "@img/sharp-libvips-linux-x64",
];

export async function buildLambda(outDir: string, zip = true): Promise<{ dir: string; zip?: string }> {
  const dir = join(outDir, "hooks-lambda");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(ROOT, "hooks/src/lambda.ts")],
    outfile: join(dir, "index.mjs"),
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    external: ["sharp"],
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: "warning",
  });
  for (const p of SHARP_PACKAGES) {
    const src = join(ROOT, "node_modules", p);
    if (!existsSync(src)) {
      throw new Error(`${p} is not installed (run npm ci on linux-x64 to get sharp's linux-x64 binaries)`);
    }
    cpSync(src, join(dir, "node_modules", p), { recursive: true, dereference: true });
  }
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ type: "module", private: true }, null, 1)}\n`);
  if (!zip) return { dir };
  const file = join(outDir, "hooks-lambda.zip");
  rmSync(file, { force: true });
  execFileSync("zip", ["-q", "-r", "-X", file, "."], { cwd: dir });
  return { dir, zip: file };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: o } = parseArgs({ options: { out: { type: "string" }, "no-zip": { type: "boolean" } } });
  if (platform() !== "linux" || arch() !== "x64") {
    console.error(`build:lambda: sharp's binaries must be linux-x64; this is ${platform()}-${arch()}`);
    process.exit(2);
  }
  try {
    const r = await buildLambda(resolve(o.out ?? join(ROOT, "dist")), !o["no-zip"]);
    console.error(`build:lambda: ${r.zip ?? r.dir}`);
  } catch (e) {
    console.error(`build:lambda: ${(e as Error).message}`);
    process.exit(1);
  }
}
