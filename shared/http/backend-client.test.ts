import { afterEach, describe, expect, it, vi } from "vitest";
import { formatSha256Digest } from "./attestation.js";
import { BackendCallError, backendDecode, backendEncode, gatewayStatus } from "./backend-client.js";

const target = { backendUrl: "http://backend.test/", backendToken: "token-0123456789abcdef" };
const image = new Uint8Array([1, 2, 3]);
const stream = new Uint8Array([9, 8, 7, 6]);
const sha = async (b: Uint8Array) =>
  formatSha256Digest(new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>)));

function answer(response: Response | Error) {
  return vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
    if (response instanceof Error) throw response;
    return response;
  });
}

async function failure(p: Promise<unknown>): Promise<BackendCallError> {
  const e = await p.then(
    () => undefined,
    (x) => x,
  );
  expect(e).toBeInstanceOf(BackendCallError);
  return e as BackendCallError;
}

afterEach(() => vi.restoreAllMocks());

describe("the backend client", () => {
  it("posts with the credential and reads an attested stream as verified", async () => {
    const f = answer(
      new Response(stream, {
        headers: {
          "X-L3C-Model": "ab".repeat(32),
          "X-L3C-Verified": "pixels",
          "Content-Digest": await sha(stream),
          "X-L3C-Source-Digest": await sha(image),
        },
      }),
    );
    const r = await backendEncode(target, image);
    expect(r).toEqual({ stream, model: "ab".repeat(32), attested: true, verified: true });
    const [url, init] = f.mock.calls[0];
    expect(url).toBe("http://backend.test/v1/encode");
    expect((init!.headers as Record<string, string>).Authorization).toBe(`Bearer ${target.backendToken}`);
  });

  it("asks for the target's model by name when it has one", async () => {
    const f = answer(new Response(stream));
    await backendEncode({ ...target, model: "l3c fast/1" }, image);
    expect(f.mock.calls[0][0]).toBe("http://backend.test/v1/encode?model=l3c%20fast%2F1");
  });

  it("tells an unattested stream and a broken attestation apart", async () => {
    answer(new Response(stream));
    expect(await backendEncode(target, image)).toMatchObject({ attested: false, verified: false });
    answer(
      new Response(stream, {
        headers: {
          "X-L3C-Verified": "pixels",
          "Content-Digest": await sha(stream),
          "X-L3C-Source-Digest": await sha(new Uint8Array([0])),
        },
      }),
    );
    expect(await backendEncode(target, image)).toMatchObject({
      attested: true,
      verified: false,
      problem: "backend verified another image: X-L3C-Source-Digest differs from the original",
    });
    answer(new Response(stream, { headers: { "X-L3C-Verified": "pixels" } }));
    expect((await backendEncode(target, image)).problem).toBe(
      "backend attested a stream without its Content-Digest",
    );
  });

  it("never returns a stream that does not match its Content-Digest", async () => {
    answer(new Response(stream, { headers: { "Content-Digest": await sha(image) } }));
    const e = await failure(backendEncode(target, image));
    expect(e.kind).toBe("corrupt");
    expect(e.message).toBe("backend answer corrupted: the stream does not match its Content-Digest");
  });

  it.each([
    [new Response("busy", { status: 503, headers: { "Retry-After": "7" } }), "overloaded", 503, "7", true],
    [new Response("oops", { status: 500 }), "failed", 502, undefined, true],
    [new Response("not an image", { status: 415 }), "rejected", 502, undefined, false],
    [new Response("no", { status: 401 }), "rejected", 502, undefined, false],
    [new TypeError("fetch failed"), "unreachable", 503, "5", true],
    [new DOMException("timed out", "TimeoutError"), "timeout", 504, undefined, true],
  ] as const)("maps %s to %s (gateway %s)", async (response, kind, gateway, retryAfter, transient) => {
    answer(response);
    const e = await failure(backendEncode(target, image));
    expect(e).toMatchObject({ kind, retryAfter, transient });
    expect(gatewayStatus(e)).toBe(gateway);
    if (response instanceof Response) {
      expect(e.status).toBe(response.status);
      expect(e.message).toMatch(new RegExp(`^backend answered ${response.status}: `));
    }
  });

  it("decodes to the type asked for, or fails", async () => {
    answer(new Response(image, { headers: { "Content-Type": "image/png" } }));
    expect(await backendDecode(target, stream, "image/png")).toEqual(image);
    answer(new Response(image, { headers: { "Content-Type": "image/webp" } }));
    const e = await failure(backendDecode(target, stream, "image/png"));
    expect(e).toMatchObject({ kind: "corrupt", message: "backend answered image/webp for image/png" });
  });
});
