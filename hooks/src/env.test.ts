import { describe, expect, it } from "vitest";
import { HookConfigError, hookCoreConfigFromEnv, lambdaHookConfigFromEnv, s3Region } from "./env.js";

const base = { L3C_BACKEND_URL: "http://127.0.0.1:1", L3C_BACKEND_TOKEN: "t".repeat(20) };

describe("hook configuration from the environment", () => {
  it("defaults: backend verification, URL-encoded event keys, the backend's model", () => {
    const c = hookCoreConfigFromEnv(base);
    expect(c.model).toBeUndefined();
    expect(c).toMatchObject({
      verify: "backend",
      eventKeys: "url",
      attempts: undefined,
      backoffMs: undefined,
    });
  });

  it("reads the options", () => {
    const c = hookCoreConfigFromEnv({
      ...base,
      HOOKS_VERIFY: "decode",
      HOOKS_EVENT_KEYS: "raw",
      HOOKS_ATTEMPTS: "2",
      HOOKS_BACKOFF_MS: "10",
      HOOKS_MODEL: "l3c-fast-v1",
    });
    expect(c).toMatchObject({
      verify: "decode",
      eventKeys: "raw",
      attempts: 2,
      backoffMs: 10,
      model: "l3c-fast-v1",
    });
  });

  it.each([
    [{ L3C_BACKEND_URL: undefined }, "L3C_BACKEND_URL must be set"],
    [
      { HOOKS_VERIFY: "none" },
      "Expected one of backend, decode for HOOKS_VERIFY but received none of type string",
    ],
    [
      { HOOKS_EVENT_KEYS: "plain" },
      "Expected one of url, raw for HOOKS_EVENT_KEYS but received plain of type string",
    ],
    [
      { HOOKS_ATTEMPTS: "0" },
      "Expected integer between 1 and 100 for HOOKS_ATTEMPTS but received 0 of type number",
    ],
    [
      { HOOKS_BACKOFF_MS: "x" },
      "Expected integer between 0 and 600000 for HOOKS_BACKOFF_MS but received x of type string",
    ],
  ])("invalid %o throws", (extra, message) => {
    expect(() => hookCoreConfigFromEnv({ ...base, ...extra })).toThrow(new HookConfigError(message));
  });

  it("the Lambda handler's: 2 attempts unless set, no dead-letter file (the queue's DLQ)", () => {
    expect(lambdaHookConfigFromEnv(base)).toMatchObject({ attempts: 2, deadLetter: undefined });
    expect(lambdaHookConfigFromEnv({ ...base, HOOKS_ATTEMPTS: "5" }).attempts).toBe(5);
    expect(() => lambdaHookConfigFromEnv({})).toThrow("L3C_BACKEND_URL must be set");
  });

  it("the S3 region: S3_REGION, else AWS_REGION (Lambda), else us-east-1", () => {
    expect(s3Region({})).toBe("us-east-1");
    expect(s3Region({ AWS_REGION: "eu-west-1" })).toBe("eu-west-1");
    expect(s3Region({ AWS_REGION: "eu-west-1", S3_REGION: "auto" })).toBe("auto");
  });
});
