/**
 * Small SVG plots for the benchmark report (bench/report.ts), drawn from numbers alone: a
 * histogram with marked percentiles, grouped log-scale bars and DET curves. No dependencies.
 * @module
 */

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function frame(w: number, h: number, body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" ` +
    `font-family="sans-serif"><rect width="${w}" height="${h}" fill="white"/>` +
    body.join("") + "</svg>\n";
}

/**
 * Histogram of `values` in about 12 bins, with vertical lines at `marks` (e.g. p50 and p95).
 * @example
 * ```ts
 * histogramSvg([120, 130, 180], "latency (ms)", [130, 180]).startsWith("<svg"); // true
 * ```
 */
export function histogramSvg(values: number[], xLabel: string, marks: number[] = []): string {
  const W = 560, H = 300, L = 50, B = 40, T = 20, R = 20;
  if (values.length === 0) {
    return frame(W, H, [`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text>`]);
  }
  const lo = Math.min(...values, ...marks);
  const hi = Math.max(...values, ...marks);
  const span = Math.max(1, hi - lo);
  const bins = 12;
  const width = span / bins;
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  const maxC = Math.max(...counts);
  const xs = (v: number) => L + ((v - lo) / span) * (W - L - R);
  const ys = (c: number) => H - B - (c / maxC) * (H - B - T);
  const body: string[] = [];
  counts.forEach((c, i) => {
    const x0 = xs(lo + i * width), x1 = xs(lo + (i + 1) * width);
    body.push(
      `<rect x="${x0.toFixed(1)}" y="${ys(c).toFixed(1)}" width="${(x1 - x0 - 1).toFixed(1)}" ` +
        `height="${(H - B - ys(c)).toFixed(1)}" fill="${COLOURS[0]}"/>`,
    );
  });
  marks.forEach((m, i) => {
    body.push(
      `<line x1="${xs(m)}" y1="${T}" x2="${xs(m)}" y2="${H - B}" stroke="${COLOURS[1]}" ` +
        `stroke-dasharray="4 3"/><text x="${xs(m) + (xs(m) > W - 80 ? -3 : 3)}" ` +
        `y="${T + 12 + 14 * i}" font-size="11" text-anchor="${xs(m) > W - 80 ? "end" : "start"}" ` +
        `fill="${COLOURS[1]}">${i === 0 ? "p50" : i === 1 ? "p95" : ""} ${Math.round(m)}</text>`,
    );
  });
  for (let i = 0; i <= 4; i++) {
    const v = lo + (span * i) / 4;
    body.push(
      `<text x="${xs(v)}" y="${H - B + 15}" font-size="11" text-anchor="middle">${
        Math.round(v)
      }</text>`,
    );
  }
  body.push(
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${L - 6}" y="${T + 4}" font-size="11" text-anchor="end">${maxC}</text>`,
    `<text x="${L - 6}" y="${H - B}" font-size="11" text-anchor="end">0</text>`,
    `<text x="${(W + L) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">${
      esc(xLabel)
    }</text>`,
  );
  return frame(W, H, body);
}

/** Grouped horizontal bars on a log scale: one group per label, one bar per series. */
export function barsSvg(groups: { label: string; values: [string, number][] }[], title: string) {
  const series = [...new Set(groups.flatMap((g) => g.values.map(([s]) => s)))];
  const W = 640, L = 170, R = 90, barH = 14;
  const groupH = series.length * (barH + 3) + 14;
  const H = 40 + groups.length * groupH + series.length * 16 + 10;
  const all = groups.flatMap((g) => g.values.map(([, v]) => v)).filter((v) => v > 0);
  const lo = Math.log10(Math.min(...all) / 2), hi = Math.log10(Math.max(...all) * 1.5);
  const xs = (v: number) =>
    L + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (W - L - R);
  const body: string[] = [
    `<text x="${W / 2}" y="18" font-size="13" text-anchor="middle">${esc(title)}</text>`,
  ];
  groups.forEach((g, gi) => {
    const y0 = 34 + gi * groupH;
    body.push(
      `<text x="${L - 8}" y="${y0 + groupH / 2}" font-size="11" text-anchor="end">${
        esc(g.label)
      }</text>`,
    );
    g.values.forEach(([s, v], k) => {
      const y = y0 + k * (barH + 3);
      const c = COLOURS[series.indexOf(s) % COLOURS.length];
      body.push(
        `<rect x="${L}" y="${y}" width="${(xs(v) - L).toFixed(1)}" height="${barH}" fill="${c}"/>`,
        `<text x="${xs(v) + 4}" y="${y + 11}" font-size="10">${v.toFixed(5)}</text>`,
      );
    });
  });
  series.forEach((s, k) => {
    const y = 34 + groups.length * groupH + k * 16;
    body.push(
      `<rect x="${L}" y="${y}" width="10" height="10" fill="${COLOURS[k % COLOURS.length]}"/>`,
      `<text x="${L + 16}" y="${y + 9}" font-size="11">${esc(s)}</text>`,
    );
  });
  return frame(W, H, body);
}

/** DET curves: false accepts per hour (log x) against the false-reject rate. */
export function detSvg(curves: Record<string, [number, number][]>): string {
  const W = 560, H = 360, L = 60, B = 40;
  const xs = (fa: number) => L + (Math.log10(Math.max(fa, 0.01)) + 2) / 4 * (W - L - 20);
  const ys = (frr: number) => H - B - Math.min(frr, 0.5) / 0.5 * (H - B - 20);
  const names = Object.keys(curves);
  const body: string[] = names.map((k, i) =>
    `<polyline fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2" points="${
      [...curves[k]].sort((a, b) => a[0] - b[0]).map(([fa, frr]) =>
        `${xs(fa).toFixed(1)},${ys(frr).toFixed(1)}`
      ).join(" ")
    }"/>`
  );
  for (const v of [0.01, 0.1, 1, 10, 100]) {
    body.push(
      `<text x="${xs(v)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${v}</text>`,
    );
  }
  for (const v of [0, 0.1, 0.2, 0.3, 0.4, 0.5]) {
    body.push(
      `<text x="${L - 6}" y="${ys(v) + 4}" font-size="11" text-anchor="end">${
        Math.round(v * 100)
      }%</text>`,
    );
  }
  names.forEach((k, i) =>
    body.push(
      `<text x="${W - 200}" y="${30 + 16 * i}" font-size="12" fill="${
        COLOURS[i % COLOURS.length]
      }">${esc(k)}</text>`,
    )
  );
  body.push(
    `<line x1="${L}" y1="${H - B}" x2="${W - 20}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="20" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(W + L) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">` +
      "false accepts per hour (log)</text>",
    `<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" ` +
      `text-anchor="middle">false-reject rate</text>`,
  );
  return frame(W, H, body);
}
