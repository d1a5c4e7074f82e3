// This module imports no tfjs.
/**
 * The loss-curve picture written beside a checkpoint: training and validation bits per byte
 * against training bytes seen, as a self-contained SVG drawn by hand (no plotting library).
 *
 * @module
 */
import type { LogRecord } from "./run_log.ts";

const WIDTH = 720;
const HEIGHT = 420;
const LEFT = 60;
const RIGHT = 20;
const TOP = 36;
const BOTTOM = 48;
/** Points drawn per training series: enough for 640 pixels, and a long run's SVG stays small. */
const MAX_POINTS = 1500;
/** Colours of the validation series: plain, and with history (`valid-history` records). */
const VALID = "#e6550d";
const HISTORY = "#31a354";

/**
 * Draws the loss curve of a run's log records.
 *
 * @param records The run's log; "train", "valid" and "valid-history" records are drawn, others
 *   ignored.
 * @param title A line above the plot (the run's name, say).
 * @returns An SVG document.
 * @example An empty run still gives a picture
 * ```ts
 * import assert from "node:assert/strict";
 * import { lossCurveSvg } from "./loss_curve.ts";
 * assert.match(lossCurveSvg([], "run"), /^<svg/);
 * ```
 */
export function lossCurveSvg(records: readonly LogRecord[], title: string): string {
  let train: [number, number][] = [];
  let smooth: [number, number][] = [];
  const valid: [number, number][] = [];
  const withHistory: [number, number][] = [];
  let ema = NaN;
  let count = 0;
  for (const r of records) {
    if (r.kind === "train" && Number.isFinite(r.bpb)) {
      // Exponential moving average seeded with the first value, so the curve starts on the data.
      count++;
      ema = count === 1 ? r.bpb : 0.9 * ema + 0.1 * r.bpb;
      train.push([r.bytesSeen, r.bpb]);
      smooth.push([r.bytesSeen, ema]);
    } else if (r.kind === "valid" && Number.isFinite(r.bpb)) {
      valid.push([r.bytesSeen, r.bpb]);
    } else if (r.kind === "valid-history" && Number.isFinite(r.bpb)) {
      withHistory.push([r.bytesSeen, r.bpb]);
    }
  }
  // Long runs: draw at most MAX_POINTS of each training series (the average is over every step).
  const stride = Math.ceil(train.length / MAX_POINTS);
  const thin = (points: [number, number][]) =>
    stride <= 1 ? points : points.filter((_, i) => i % stride === 0 || i === points.length - 1);
  train = thin(train);
  smooth = thin(smooth);
  const xs = [...train, ...valid, ...withHistory].map((p) => p[0]);
  const ys = [...smooth, ...valid, ...withHistory].map((p) => p[1]);
  const xMax = niceCeil(Math.max(1, ...xs));
  const yLo = ys.length ? Math.max(0, Math.floor(Math.min(...ys) * 2) / 2) : 0;
  const yHi = ys.length ? Math.max(yLo + 0.5, Math.ceil(Math.max(...ys) * 2) / 2) : 8;
  const px = (x: number) => LEFT + (x / xMax) * (WIDTH - LEFT - RIGHT);
  const py = (y: number) =>
    TOP + (1 - (Math.min(Math.max(y, yLo), yHi) - yLo) / (yHi - yLo)) * (HEIGHT - TOP - BOTTOM);
  const path = (points: [number, number][]) =>
    points.map(([x, y], i) => `${i ? "L" : "M"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join("");

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14">${escapeXml(title)}</text>`,
  );
  // Grid and ticks.
  const yStep = niceStep((yHi - yLo) / 6);
  for (let y = Math.ceil(yLo / yStep) * yStep; y <= yHi + 1e-9; y += yStep) {
    out.push(
      `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${py(y).toFixed(1)}" y2="${
        py(y).toFixed(1)
      }" stroke="#e5e5e5"/>`,
      `<text x="${LEFT - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${+y.toFixed(
        2,
      )}</text>`,
    );
  }
  const xStep = niceStep(xMax / 6);
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    out.push(
      `<line x1="${px(x).toFixed(1)}" x2="${px(x).toFixed(1)}" y1="${TOP}" y2="${
        HEIGHT - BOTTOM
      }" stroke="#e5e5e5"/>`,
      `<text x="${px(x).toFixed(1)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle">${
        formatBytes(x)
      }</text>`,
    );
  }
  out.push(
    `<rect x="${LEFT}" y="${TOP}" width="${WIDTH - LEFT - RIGHT}" height="${
      HEIGHT - TOP - BOTTOM
    }" fill="none" stroke="#888"/>`,
    `<text x="${(LEFT + WIDTH - RIGHT) / 2}" y="${
      HEIGHT - 10
    }" text-anchor="middle">training bytes seen</text>`,
    `<text transform="translate(16 ${
      (TOP + HEIGHT - BOTTOM) / 2
    }) rotate(-90)" text-anchor="middle">bits per byte</text>`,
  );
  // Series: raw training loss faint, its moving average, validation with markers.
  if (train.length > 1) {
    out.push(`<path d="${path(train)}" fill="none" stroke="#9ecae1" stroke-width="1"/>`);
  }
  if (smooth.length > 1) {
    out.push(`<path d="${path(smooth)}" fill="none" stroke="#3182bd" stroke-width="2"/>`);
  }
  for (const [points, color] of [[valid, VALID], [withHistory, HISTORY]] as const) {
    if (points.length > 1) {
      out.push(`<path d="${path(points)}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    for (const [x, y] of points) {
      out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
  }
  // Legend.
  const legendX = WIDTH - RIGHT - 190;
  out.push(
    `<line x1="${legendX}" x2="${legendX + 20}" y1="${TOP + 14}" y2="${
      TOP + 14
    }" stroke="#3182bd" stroke-width="2"/>`,
    `<text x="${legendX + 26}" y="${TOP + 18}">train (moving average)</text>`,
    `<line x1="${legendX}" x2="${legendX + 20}" y1="${TOP + 32}" y2="${
      TOP + 32
    }" stroke="${VALID}" stroke-width="2"/>`,
    `<text x="${legendX + 26}" y="${TOP + 36}">valid</text>`,
  );
  if (withHistory.length > 0) {
    out.push(
      `<line x1="${legendX}" x2="${legendX + 20}" y1="${TOP + 50}" y2="${
        TOP + 50
      }" stroke="${HISTORY}" stroke-width="2"/>`,
      `<text x="${legendX + 26}" y="${TOP + 54}">valid with history</text>`,
    );
  }
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** 1, 2 or 5 times a power of ten, at least `x`. */
function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function niceCeil(x: number): number {
  const step = niceStep(x / 6);
  return Math.ceil(x / step) * step;
}

function formatBytes(n: number): string {
  if (n === 0) return "0";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${+n.toFixed(2)} ${units[i]}`;
}

function escapeXml(s: string): string {
  return s.replace(
    /[<>&"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!,
  );
}
