/**
 * A TCP proxy on loopback between a client (the hook, `l3c bulk`) and a server (S3, SQS)
 * that injects faults at exact points of an HTTP request: `holdNext(pattern)` lets the
 * next request whose head (request line and headers) matches through up to half of its
 * body, then holds the rest, so a test can kill the client or the server with a request
 * provably in flight, or make two writers meet at the server; with `at: "response"` it
 * lets the whole request through and holds the server's answer instead (the server has
 * done the work; the client does not know yet: a lost answer). Closing either side closes
 * the other, as a crash does: the server sees a cut request, the client a reset.
 * `refuse()` stops listening (new connections are refused, as by a dead server) and
 * `accept()` listens again on the same port.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface Held {
  /** The head of the held request. */
  head: string;
  /** Forward the rest of the request and pass traffic again. */
  release(): void;
}

interface Hold {
  pattern: RegExp;
  at: "body" | "response";
  resolve: (h: Held) => void;
}

export interface FaultProxy {
  port: number;
  endpoint: string;
  /** Resolves when the next request matching `pattern` is held mid-body. */
  holdNext(pattern: RegExp, opts?: { at?: "body" | "response" }): Promise<Held>;
  refuse(): Promise<void>;
  accept(): Promise<void>;
  close(): Promise<void>;
}

const HEAD_END = Buffer.from("\r\n\r\n");

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const holds: Hold[] = [];
  const sockets = new Set<Socket>();

  const onConnection = (client: Socket) => {
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", closeBoth).on("close", closeBoth);
    upstream.on("error", closeBoth).on("close", closeBoth);
    // Server -> client: passed through, unless an answer is being held.
    let answerHold: { hold: Hold; head: string } | undefined; // armed once the request is sent
    let answer: Buffer[] | undefined;
    upstream.on("data", (d: Buffer) => {
      if (answer) return void answer.push(d);
      if (answerHold) {
        const { hold, head } = answerHold;
        answerHold = undefined;
        answer = [d];
        hold.resolve({
          head,
          release: () => {
            for (const b of answer ?? []) client.write(b);
            answer = undefined;
          },
        });
        return;
      }
      client.write(d);
    });

    // Client -> server bytes, framed into requests: a head, then Content-Length body bytes.
    let state: "head" | "body" | "raw" = "head";
    let headBuf = Buffer.alloc(0);
    let bodyLeft = 0;
    let untilHold = -1; // body bytes to forward before holding (-1: no hold pending)
    let pendingHold: { hold: Hold; head: string } | undefined;
    let responseAfterBody: { hold: Hold; head: string } | undefined;
    let held: Buffer[] | undefined; // while holding: what the client sends meanwhile

    const startHold = () => {
      const p = pendingHold!;
      pendingHold = undefined;
      held = [];
      p.hold.resolve({
        head: p.head,
        release: () => {
          const rest = Buffer.concat(held ?? []);
          held = undefined;
          feed(rest);
        },
      });
    };
    const feed = (chunk: Buffer) => {
      while (chunk.length) {
        if (held) {
          held.push(chunk);
          return;
        }
        if (state === "raw") {
          upstream.write(chunk);
          return;
        }
        if (state === "body") {
          let n = Math.min(bodyLeft, chunk.length);
          if (untilHold >= 0) n = Math.min(n, untilHold);
          upstream.write(chunk.subarray(0, n));
          bodyLeft -= n;
          chunk = chunk.subarray(n);
          if (bodyLeft === 0) {
            state = "head";
            if (responseAfterBody) {
              answerHold = responseAfterBody;
              responseAfterBody = undefined;
            }
          }
          if (untilHold >= 0) {
            untilHold -= n;
            if (untilHold === 0) {
              untilHold = -1;
              startHold();
            }
          }
          continue;
        }
        headBuf = Buffer.concat([headBuf, chunk]);
        chunk = Buffer.alloc(0);
        const end = headBuf.indexOf(HEAD_END);
        if (end < 0) {
          if (headBuf.length > 64 * 1024) {
            state = "raw";
            upstream.write(headBuf);
            headBuf = Buffer.alloc(0);
          }
          return;
        }
        const headBytes = headBuf.subarray(0, end + HEAD_END.length);
        chunk = headBuf.subarray(end + HEAD_END.length);
        headBuf = Buffer.alloc(0);
        const text = headBytes.toString("latin1");
        upstream.write(headBytes);
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
        if (cl) {
          bodyLeft = Number(cl[1]);
          state = bodyLeft > 0 ? "body" : "head";
        } else if (/\r\ntransfer-encoding:/i.test(text)) state = "raw"; // framing lost: pass all
        const i = holds.findIndex((h) => h.pattern.test(text));
        if (i < 0) continue;
        const hold = holds.splice(i, 1)[0];
        if (hold.at === "response") {
          responseAfterBody = { hold, head: text };
          if (state !== "body") {
            answerHold = responseAfterBody;
            responseAfterBody = undefined;
          }
          continue;
        }
        pendingHold = { hold, head: text };
        if (state === "body") untilHold = Math.max(1, Math.floor(bodyLeft / 2));
        else startHold();
      }
    };
    client.on("data", feed);
  };

  let server: Server = createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const closeServer = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
      sockets.clear();
    });

  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    holdNext: (pattern, opts = {}) =>
      new Promise<Held>((resolve) => holds.push({ pattern, at: opts.at ?? "body", resolve })),
    refuse: closeServer,
    accept: async () => {
      server = createServer(onConnection);
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
    },
    close: closeServer,
  };
}
