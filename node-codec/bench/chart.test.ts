import { describe, expect, it } from "vitest";
import { bpspChart } from "./chart.js";

describe("bpsp / decode-speed chart", () => {
  const points = [
    { label: "l3c", bpsp: 3.09, decodeMps: 0.2 },
    { label: "WebP <lossless>", bpsp: 3.18, decodeMps: 15 },
  ];
  it("draws one point per codec, labelled and escaped, lower bpsp higher on the page", () => {
    const svg = bpspChart("Kodak", points);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("<title>Kodak: bits per sub-pixel against decode MP/s</title>");
    expect(svg.match(/<circle /g)?.length).toBe(2);
    expect(svg).toContain("l3c (3.090)");
    expect(svg).toContain("WebP &lt;lossless&gt; (3.180)");
    const cy = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(cy[0][0]).toBeLessThan(cy[1][0]); // slower is further left
    expect(cy[0][1]).toBeGreaterThan(cy[1][1]); // fewer bits sits lower
  });
  it("refuses an empty table", () => {
    expect(() => bpspChart("x", [])).toThrow("a chart needs at least one point");
  });
});
