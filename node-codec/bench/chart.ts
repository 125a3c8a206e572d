/**
 * @module chart
 * The picture of a benchmark table: bits per sub-pixel against decode speed, one point per
 * codec, as a standalone SVG (no dependency: a few dozen elements). Decode speed on a log
 * axis, since the codecs span three orders of magnitude; lower and further right is better.
 */

export interface ChartPoint {
  label: string;
  bpsp: number;
  /** Decode megapixels per second. */
  decodeMps: number;
}

const W = 720;
const H = 420;
const PAD = { left: 70, right: 30, top: 50, bottom: 60 };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The SVG document for `points`, titled `title`. */
export function bpspChart(title: string, points: readonly ChartPoint[]): string {
  if (!points.length) throw new RangeError("a chart needs at least one point");
  const lx = points.map((p) => Math.log10(p.decodeMps));
  const x0 = Math.floor(Math.min(...lx));
  const x1 = Math.ceil(Math.max(...lx)) === x0 ? x0 + 1 : Math.ceil(Math.max(...lx));
  const ys = points.map((p) => p.bpsp);
  const y0 = Math.floor(Math.min(...ys) * 4) / 4 - 0.25;
  const y1 = Math.ceil(Math.max(...ys) * 4) / 4 + 0.25;
  const px = (v: number) => PAD.left + ((Math.log10(v) - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const py = (v: number) => PAD.top + ((y1 - v) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${esc(title)}: bits per sub-pixel against decode MP/s</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ];
  for (let e = x0; e <= x1; e++) {
    const x = px(10 ** e).toFixed(1);
    out.push(`<line x1="${x}" y1="${PAD.top}" x2="${x}" y2="${H - PAD.bottom}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${H - PAD.bottom + 18}" text-anchor="middle">${10 ** e}</text>`);
  }
  for (let v = y0; v <= y1 + 1e-9; v += 0.25) {
    const y = py(v).toFixed(1);
    out.push(`<line x1="${PAD.left}" y1="${y}" x2="${W - PAD.right}" y2="${y}" stroke="#eee"/>`);
    out.push(
      `<text x="${PAD.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${v.toFixed(2)}</text>`,
    );
  }
  out.push(
    `<text x="${W / 2}" y="${H - 18}" text-anchor="middle">decode MP/s (log scale)</text>`,
    `<text x="18" y="${H / 2}" text-anchor="middle" transform="rotate(-90 18 ${H / 2})">bits per sub-pixel</text>`,
  );
  // Each label takes the first of four places around its point that stays inside the
  // picture and clear of the labels placed before it (text ~6.5 px per character).
  const boxes: { x0: number; x1: number; y0: number; y1: number }[] = [];
  for (const p of points) {
    const x = px(p.decodeMps);
    const y = py(p.bpsp);
    const color = p.label.startsWith("l3c") ? "#c0392b" : "#2c3e50";
    const text = `${p.label} (${p.bpsp.toFixed(3)})`;
    const w = text.length * 6.5;
    const places = [
      { tx: x + 8, ty: y - 8, end: false },
      { tx: x + 8, ty: y + 18, end: false },
      { tx: x - 8, ty: y - 8, end: true },
      { tx: x - 8, ty: y + 18, end: true },
    ].map((c) => ({
      ...c,
      box: { x0: c.end ? c.tx - w : c.tx, x1: c.end ? c.tx : c.tx + w, y0: c.ty - 12, y1: c.ty + 2 },
    }));
    const clear = (q: (typeof places)[number]) =>
      q.box.x0 >= 0 &&
      q.box.x1 <= W &&
      !boxes.some((o) => q.box.x0 < o.x1 && o.x0 < q.box.x1 && q.box.y0 < o.y1 && o.y0 < q.box.y1);
    const at = places.find(clear) ?? places[0];
    boxes.push(at.box);
    out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="${color}"/>`);
    out.push(
      `<text x="${at.tx.toFixed(1)}" y="${at.ty.toFixed(1)}" fill="${color}"${at.end ? ' text-anchor="end"' : ""}>${esc(text)}</text>`,
    );
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
