import type { S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { handleObjectCreated } from "./core.js";

/** An S3 client that answers by command name (no server: failures no server gives on cue). */
const fakeS3 = (answers: Record<string, (input: { Key?: string }) => unknown>) =>
  ({
    send: async (cmd: { constructor: { name: string }; input: { Key?: string } }) => {
      const f = answers[cmd.constructor.name];
      if (!f) throw new Error(`unexpected ${cmd.constructor.name}`);
      return f(cmd.input);
    },
  }) as unknown as S3Client;

const notFound = () => {
  throw Object.assign(new Error("NotFound"), { name: "NotFound", $metadata: { httpStatusCode: 404 } });
};

describe("hook core", () => {
  it("a body shorter than the object (cut, yet complete-looking) is never encoded", async () => {
    const s3 = fakeS3({
      HeadObjectCommand: (i) => (i.Key?.endsWith(".l3c") ? notFound() : { ETag: '"e"', ContentLength: 20 }),
      GetObjectCommand: () => ({
        ContentLength: 20,
        Body: { transformToByteArray: async () => new Uint8Array(10) },
      }),
    });
    const out = await handleObjectCreated(
      { s3, backendUrl: "http://127.0.0.1:9", backendToken: "t", attempts: 1, log: () => undefined },
      { bucket: "b", key: "a.png" },
    );
    expect(out).toMatchObject({
      status: "failed",
      transient: true,
      reason: "origin read cut short: 10 of 20 bytes",
    });
  });
});
