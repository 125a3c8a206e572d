/**
 * Debian's chromium driven by playwright-core (no browser download: `npm run setup`
 * installs the chromium package where it is missing). The flags keep it off the
 * network this machine does not have; playwright gives every launch a fresh profile.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.L3C_CHROMIUM ?? "/usr/bin/chromium";

/**
 * `webgpu`: WebGPU on, on SwiftShader's Vulkan (a CPU implementation: the adapter exists
 * without a GPU, slowly), for pages on a secure context (loopback HTTP counts).
 */
export async function launchChromium(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} missing: run \`npm run setup\` (installs Debian's chromium package)`);
  }
  const gpu = opts.webgpu
    ? [
        "--enable-unsafe-webgpu",
        "--enable-features=Vulkan",
        "--use-vulkan=swiftshader",
        "--use-angle=swiftshader",
        "--use-webgpu-adapter=swiftshader",
      ]
    : ["--disable-gpu"];
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      ...gpu,
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
