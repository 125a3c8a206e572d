/**
 * A real S3 server for tests: versitygw (posix backend) built by `npm run setup` into
 * .tools/bin, on a free loopback port, storing objects in a temporary folder. It can be
 * killed (SIGKILL) and started again on the same port and folder, to test what clients do
 * when the server dies mid-request, refuses connections, then comes back. With `events`
 * it posts its bucket notifications (S3 event JSON) to a receiver in this process; with
 * `accessLog` it writes a server-side access log, the record of which requests it served.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

const ROOT = new URL("../../", import.meta.url).pathname;
export const S3_CREDS = { accessKeyId: "test", secretAccessKey: "test" };
export const VERSITYGW = process.env.L3C_VERSITYGW ?? join(ROOT, ".tools/bin/versitygw");

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createTcpServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

export interface AccessLogEntry {
  operation: string;
  /** Object key, decoded from the request path. */
  key: string;
  status: number;
}

export interface S3Server {
  endpoint: string;
  port: number;
  /** The posix backend's folder: <dir>/<bucket>/<key>. */
  dir: string;
  client: S3Client;
  /** SIGKILL and wait for the exit: in-flight requests are cut, then connections are refused. */
  kill(): Promise<void>;
  /** Start again on the same port and folder (after kill). */
  start(): Promise<void>;
  /** SIGSTOP: connections are accepted by the kernel but nothing answers (a hung store). */
  pause(): void;
  /** SIGCONT after pause. */
  resume(): void;
  stop(): Promise<void>;
  /** Requests served so far, from the server's access log (needs accessLog). */
  accessLog(): AccessLogEntry[];
  /** S3 event notifications the server has posted so far (needs events). */
  events: unknown[];
  /** Called with each event as it arrives (needs events). */
  onEvent?: (event: unknown) => void;
}

/** A receiver for the server's notification webhook; versitygw needs it up before it starts. */
async function eventReceiver(sink: (e: unknown) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.end();
      try {
        sink(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        // not JSON: not an event
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address() as { port: number };
  return { url: `http://127.0.0.1:${a.port}/events`, server };
}

/** versitygw's access log: `... [date] ip user reqid s3_<Op> <raw key> <uri> <status> ...`. */
function parseAccessLog(text: string): AccessLogEntry[] {
  const out: AccessLogEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /\] \S+ \S+ \S+ s3_(\w+) .*? (\/\S*) (\d{3}) /.exec(line);
    if (!m) continue;
    const path = m[2].split("?")[0].split("/").slice(2).join("/");
    out.push({ operation: m[1], key: decodeURIComponent(path), status: Number(m[3]) });
  }
  return out;
}

export async function startS3Server(
  opts: { buckets?: string[]; events?: boolean; accessLog?: boolean } = {},
): Promise<S3Server> {
  if (!existsSync(VERSITYGW))
    throw new Error(
      `versitygw missing at ${VERSITYGW}: run \`npm run setup\` (it builds the test S3 server)`,
    );
  const dir = mkdtempSync(join(tmpdir(), "l3c-s3-"));
  const data = join(dir, "data");
  const log = join(dir, "access.log");
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  let receiver: Awaited<ReturnType<typeof eventReceiver>> | undefined;
  const server: S3Server = {
    endpoint,
    port,
    dir: data,
    client: new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3_CREDS }),
    events: [],
    kill: async () => {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGKILL");
      await exited;
    },
    pause: () => proc?.kill("SIGSTOP"),
    resume: () => proc?.kill("SIGCONT"),
    start: async () => {
      if (proc) throw new Error("the S3 server is running");
      const args = ["--port", `127.0.0.1:${port}`, "--quiet", "--health", "/health"];
      if (opts.accessLog) args.push("--access-log", log);
      if (receiver) args.push("--event-webhook-url", receiver.url);
      mkdirSync(data, { recursive: true });
      let stderr = "";
      const p = spawn(VERSITYGW, [...args, "posix", data], {
        stdio: ["ignore", "ignore", "pipe"],
        env: {
          ...process.env,
          ROOT_ACCESS_KEY: S3_CREDS.accessKeyId,
          ROOT_SECRET_KEY: S3_CREDS.secretAccessKey,
        },
      });
      p.stderr?.on("data", (c: Buffer) => {
        stderr = (stderr + c.toString()).slice(-2000);
      });
      proc = p;
      for (let i = 0; ; i++) {
        if (p.exitCode !== null) throw new Error(`versitygw exited (${p.exitCode}): ${stderr}`);
        try {
          if ((await fetch(`${endpoint}/health`)).ok) break;
        } catch {
          // not listening yet
        }
        if (i > 200) throw new Error(`versitygw did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      process.off("exit", onExit);
      await server.kill();
      receiver?.server.close();
      server.client.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
    accessLog: () => (existsSync(log) ? parseAccessLog(readFileSync(log, "utf8")) : []),
  };
  const onExit = () => proc?.kill("SIGKILL"); // never leave a server behind, even when a run aborts
  process.once("exit", onExit);
  if (opts.events) {
    receiver = await eventReceiver((e) => {
      server.events.push(e);
      server.onEvent?.(e);
    });
  }
  await server.start();
  for (const b of opts.buckets ?? ["images"])
    await server.client.send(new CreateBucketCommand({ Bucket: b }));
  return server;
}
