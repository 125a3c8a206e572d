/**
 * The services as separate processes, so that tests can SIGKILL them: the backend, the
 * SQS consumer and the webhook, each one `node --import tsx <entry>.ts` (one process: a
 * SIGKILL reaches the code itself, not a launcher), and the `l3c` command. The tiny
 * fixture model keeps them fast.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { TOKEN } from "./backend.js";
import { freePort, S3_CREDS } from "./s3-server.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Service {
  name: string;
  /** SIGKILL (or another signal) and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start again with the same environment (after kill). */
  start(): Promise<void>;
  /** What it printed (stdout and stderr), the last 20 kB. */
  output(): string;
}

export interface ServiceOptions {
  name: string;
  /** Entry point, relative to the repository root. */
  entry: string;
  env: Record<string, string>;
  /** True once the service is ready (polled). */
  ready: (output: string) => Promise<boolean> | boolean;
}

/** Environment the hooks and `l3c bulk` need to reach the S3 server. */
export const s3Env = (endpoint: string) => ({
  S3_ENDPOINT: endpoint,
  S3_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: S3_CREDS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3_CREDS.secretAccessKey,
  AWS_SDK_JS_SUPPRESS_NODE_VERSION_SUPPORT_WARNING: "1",
  NODE_NO_WARNINGS: "1",
});

export async function startService(o: ServiceOptions): Promise<Service> {
  let proc: ChildProcess | undefined;
  let out = "";
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill(signal);
    await exited;
  };
  const onExit = () => proc?.kill("SIGKILL"); // never leave a process behind
  process.once("exit", onExit);
  const svc: Service = {
    name: o.name,
    kill,
    output: () => out,
    start: async () => {
      if (proc) throw new Error(`${o.name} is running`);
      const p = spawn(process.execPath, ["--import", "tsx", join(ROOT, o.entry)], {
        cwd: ROOT,
        env: { ...process.env, ...o.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const keep = (c: Buffer) => {
        out = (out + c.toString()).slice(-20_000);
      };
      p.stdout?.on("data", keep);
      p.stderr?.on("data", keep);
      proc = p;
      for (let i = 0; ; i++) {
        if (p.exitCode !== null) throw new Error(`${o.name} exited (${p.exitCode}): ${out}`);
        if (await o.ready(out)) return;
        if (i > 600) throw new Error(`${o.name} did not start in 60 s: ${out}`);
        await sleep(100);
      }
    },
  };
  await svc.start();
  return svc;
}

const answers = async (url: string) => {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
};

/** The backend service on a fixed port (a restart comes back at the same URL). */
export async function startBackendProcess(): Promise<Service & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const svc = await startService({
    name: "backend",
    entry: "gpu-backend/src/server.ts",
    env: {
      L3C_BACKEND_TOKEN: TOKEN,
      L3C_MODELS_DIR: join(ROOT, "test/fixtures/models"),
      PORT: String(port),
      L3C_DISABLE_CUDA: "1",
      L3C_THREADS: "1",
      L3C_WORKERS: "1",
    },
    ready: () => answers(`${url}/readyz`),
  });
  return Object.assign(svc, { url });
}

/** The hook environment for a backend and an S3 endpoint (fast retries for tests). */
export const hookEnv = (backendUrl: string, s3Endpoint: string, extra: Record<string, string> = {}) => ({
  ...s3Env(s3Endpoint),
  L3C_BACKEND_URL: backendUrl,
  L3C_BACKEND_TOKEN: TOKEN,
  HOOKS_ATTEMPTS: "3",
  HOOKS_BACKOFF_MS: "100",
  ...extra,
});

/** `npm run hooks:sqs` as a process. */
export function startSqsWorkerProcess(env: Record<string, string>): Promise<Service> {
  return startService({
    name: "hooks:sqs",
    entry: "hooks/src/sqs-worker.ts",
    env,
    ready: (out) => out.includes("l3c hooks:sqs polling"),
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The `l3c` command (bin/l3c.mjs) with this environment. */
export function runL3c(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(ROOT, "bin/l3c.mjs"), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (c: Buffer) => {
      stdout += c;
    });
    p.stderr.on("data", (c: Buffer) => {
      stderr += c;
    });
    p.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
