import { describe, expect, it } from "vitest";
import { isTestEvent, objectsFromS3Event } from "./events.js";

const record = (key: string, eventName = "s3:ObjectCreated:Put") => ({
  eventName,
  s3: { bucket: { name: "images" }, object: { key, eTag: "abc", size: 5 } },
});

describe("S3 events -> objects", () => {
  it("decodes AWS/MinIO keys (URL-encoded, + for space) by default", () => {
    expect(objectsFromS3Event({ Records: [record("a+b%2Bc%25d/%C3%A9.png")] })).toEqual([
      { bucket: "images", key: "a b+c%d/é.png", etag: "abc", size: 5 },
    ]);
  });

  it("takes versitygw's raw keys as they are with keys=raw", () => {
    expect(objectsFromS3Event({ Records: [record("a b+c%d/é.png")] }, "raw")[0].key).toBe("a b+c%d/é.png");
  });

  it("a raw key read as URL-encoded is an error that says what to set", () => {
    expect(() => objectsFromS3Event({ Records: [record("100%.png")] })).toThrow(
      expect.objectContaining({ detail: expect.stringContaining("HOOKS_EVENT_KEYS=raw") }),
    );
  });

  it("keeps ObjectCreated records only; refuses non-events", () => {
    expect(objectsFromS3Event({ Records: [record("x.png", "s3:ObjectRemoved:Delete")] })).toEqual([]);
    expect(() => objectsFromS3Event({})).toThrow("invalid argument");
    expect(() => objectsFromS3Event({ Records: [null] })).toThrow("invalid argument");
  });

  it("recognises the test event", () => {
    expect(isTestEvent({ Bucket: "Test-Bucket", Event: "s3:TestEvent", Service: "S3" })).toBe(true);
    expect(isTestEvent({ Records: [] })).toBe(false);
    expect(isTestEvent(null)).toBe(false);
  });
});
