import { describe, expect, it } from "vitest";
import { hookCoreConfigFromEnv } from "./env.js";

const base = { L3C_BACKEND_URL: "http://127.0.0.1:1", L3C_BACKEND_TOKEN: "t".repeat(20) };

describe("hook configuration from the environment", () => {
  it("defaults: backend verification, URL-encoded event keys", () => {
    const c = hookCoreConfigFromEnv(base);
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
    });
    expect(c).toMatchObject({ verify: "decode", eventKeys: "raw", attempts: 2, backoffMs: 10 });
  });

  it.each([
    [{ L3C_BACKEND_URL: undefined }, "L3C_BACKEND_URL must be set"],
    [{ HOOKS_VERIFY: "none" }, "Expected backend or decode for HOOKS_VERIFY but received none"],
    [{ HOOKS_EVENT_KEYS: "plain" }, "Expected url or raw for HOOKS_EVENT_KEYS but received plain"],
    [{ HOOKS_ATTEMPTS: "0" }, "Expected integer between 1 and 100 for HOOKS_ATTEMPTS but received 0"],
    [{ HOOKS_BACKOFF_MS: "x" }, "Expected integer between 0 and 600000 for HOOKS_BACKOFF_MS but received x"],
  ])("invalid %o throws", (extra, message) => {
    expect(() => hookCoreConfigFromEnv({ ...base, ...extra })).toThrow(message);
  });
});
