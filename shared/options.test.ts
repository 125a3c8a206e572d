import { describe, expect, it } from "vitest";
import { expectedMessage, expectInteger, expectOneOf, L3cError } from "./errors.js";
import { expectTileSize } from "./format.js";
import { fromText, readOptions } from "./options.js";

class ConfigError extends Error {}

describe("the one validation idiom (sharp's)", () => {
  it("names the option, what was expected, and what was received with its type", () => {
    expect(expectedMessage("quality", "integer between 1 and 100", 101)).toBe(
      "Expected integer between 1 and 100 for quality but received 101 of type number",
    );
    expect(() => expectInteger("workers", 1.5, 0, 8)).toThrow(
      new L3cError(
        "INVALID_ARGUMENT",
        "Expected integer between 0 and 8 for workers but received 1.5 of type number",
      ),
    );
    expect(() => expectOneOf("core", "simd", ["ts", "wasm"])).toThrow(
      expect.objectContaining({
        detail: "Expected one of ts, wasm for core but received simd of type string",
      }),
    );
    expect(expectOneOf("core", "ts", ["ts", "wasm"])).toBe("ts");
  });

  it.each([100, 60, 4104, "256", 256.5, undefined])("invalid tileSize %s throws", (v) => {
    expect(() => expectTileSize("tileSize", v)).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        detail: `Expected multiple of 8 between 64 and 4096 for tileSize but received ${String(v)} of type ${typeof v}`,
      }),
    );
  });

  it.each([64, 256, 4096])("tileSize %s is valid", (v) => {
    expect(expectTileSize("tileSize", v)).toBe(v);
  });
});

describe("options given as text", () => {
  it("reads decimal text as a number and anything else as the text", () => {
    expect(fromText("42")).toBe(42);
    expect(fromText("-1.5")).toBe(-1.5);
    expect(fromText("1e3")).toBe(1000);
    expect(fromText("0x10")).toBe("0x10");
    expect(fromText("12px")).toBe("12px");
    expect(fromText("")).toBe("");
  });

  it("applies defaults, labels and the tier's error type", () => {
    const o = readOptions(
      { workers: "3", tile: "100", core: "wasm", empty: "", flag: true },
      { label: (k) => `--${k}`, error: (m) => new ConfigError(m) },
    );
    expect(o.integer("workers", 0, 8)).toBe(3);
    expect(o.integer("missing", 0, 8)).toBeUndefined();
    expect(o.integer("empty", 0, 8, 5)).toBe(5);
    expect(o.oneOf("core", ["ts", "wasm"], "ts")).toBe("wasm");
    expect(o.oneOf("missing", ["ts", "wasm"], "ts")).toBe("ts");
    expect(o.text("missing")).toBeUndefined();
    expect(() => o.value("tile", expectTileSize)).toThrow(
      new ConfigError(
        "Expected multiple of 8 between 64 and 4096 for --tile but received 100 of type number",
      ),
    );
    expect(() => o.integer("core", 0, 8)).toThrow(
      new ConfigError("Expected integer between 0 and 8 for --core but received wasm of type string"),
    );
    expect(() => o.oneOf("workers", ["ts", "wasm"])).toThrow(
      new ConfigError("Expected one of ts, wasm for --workers but received 3 of type string"),
    );
    expect(() => o.required("missing")).toThrow(new ConfigError("--missing must be set"));
    expect(() => o.text("flag")).toThrow(
      new ConfigError("Expected text for --flag but received true of type boolean"),
    );
  });

  it("throws L3cError INVALID_ARGUMENT by default", () => {
    expect(() => readOptions({ PORT: "99999" }).integer("PORT", 0, 65535)).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        detail: "Expected integer between 0 and 65535 for PORT but received 99999 of type number",
      }),
    );
  });
});
