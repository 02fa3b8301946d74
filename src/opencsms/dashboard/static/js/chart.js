// A small SVG line chart: time on x, one or more lines on y, redrawn when data changes.

import { h } from "./dom.js";
import { clock } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 200;
const PAD = { left: 52, right: 12, top: 12, bottom: 24 };
const PALETTE = ["#0f766e", "#2563eb", "#d97706", "#9333ea"];

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Round tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(min, max, count = 4) {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

export class LineChart {
  /**
   * A chart card in `container`: `title`, `format(value)` for the axis and the latest value,
   * `zero` to keep 0 on the axis (power, energy) or not (voltage).
   */
  constructor(container, { id, title, format = String, zero = true, scale = 1 }) {
    this.format = format;
    this.zero = zero;
    this.scale = scale;
    this.lines = {};
    this.latest = h("span", { class: "chart-value" }, "–");
    this.svg = svg("svg", { class: "chart", role: "img", "aria-label": title, "data-points": 0 });
    this.card = h("div", { class: "card chart-card", id }, h("h2", {}, title, this.latest), this.svg);
    container.append(this.card);
    new ResizeObserver(() => this.draw()).observe(this.svg);
  }

  /** Replace the data: {lineName: [[epochMs, value], ...]}. */
  setLines(lines) {
    this.lines = lines || {};
    this.draw();
  }

  get pointCount() {
    return Object.values(this.lines).reduce((n, points) => n + points.length, 0);
  }

  draw() {
    const width = Math.max(this.svg.clientWidth || 0, 300);
    const el = this.svg;
    el.replaceChildren();
    el.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
    el.dataset.points = this.pointCount;
    const entries = Object.entries(this.lines).filter(([, points]) => points.length);
    if (!entries.length) {
      el.append(svg("text", { x: width / 2, y: HEIGHT / 2, "text-anchor": "middle", class: "chart-empty" }, "no samples yet"));
      this.latest.textContent = "–";
      return;
    }
    const all = entries.flatMap(([, points]) => points);
    let tMin = Math.min(...all.map((p) => p[0]));
    let tMax = Math.max(...all.map((p) => p[0]));
    if (tMax === tMin) {
      tMin -= 30000;
      tMax += 30000;
    }
    const values = all.map((p) => p[1] / this.scale);
    let vMin = Math.min(...values);
    let vMax = Math.max(...values);
    if (this.zero) vMin = Math.min(0, vMin);
    if (vMax === vMin) {
      vMax += Math.abs(vMax) * 0.05 || 1;
      vMin -= this.zero ? 0 : Math.abs(vMin) * 0.05 || 1;
    }
    const ticks = niceTicks(vMin, vMax);
    const yLow = ticks[0];
    const yHigh = ticks[ticks.length - 1];
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const x = (t) => PAD.left + ((t - tMin) / (tMax - tMin)) * plotW;
    const y = (v) => PAD.top + plotH - ((v - yLow) / (yHigh - yLow)) * plotH;

    for (const tick of ticks) {
      el.append(svg("line", { class: "grid-line", x1: PAD.left, x2: width - PAD.right, y1: y(tick), y2: y(tick) }));
      el.append(svg("text", { class: "axis-label", x: PAD.left - 6, y: y(tick) + 3, "text-anchor": "end" }, this.format(tick * this.scale, true)));
    }
    const timeTicks = 4;
    for (let i = 0; i <= timeTicks; i += 1) {
      const t = tMin + ((tMax - tMin) * i) / timeTicks;
      const anchor = i === 0 ? "start" : i === timeTicks ? "end" : "middle";
      el.append(svg("text", { class: "axis-label", x: x(t), y: HEIGHT - 6, "text-anchor": anchor }, clock(t)));
    }
    entries.forEach(([name, points], index) => {
      const color = PALETTE[index % PALETTE.length];
      const path = points.map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1] / this.scale).toFixed(1)}`).join("");
      if (entries.length === 1) {
        const base = y(Math.max(yLow, 0));
        const area = `${path}L${x(points[points.length - 1][0]).toFixed(1)},${base}L${x(points[0][0]).toFixed(1)},${base}Z`;
        el.append(svg("path", { class: "area", d: area, fill: color }));
      }
      el.append(svg("path", { class: "line", d: path, stroke: color, "data-line": name }));
      if (points.length === 1) {
        el.append(svg("circle", { cx: x(points[0][0]), cy: y(points[0][1] / this.scale), r: 3, fill: color }));
      }
      if (entries.length > 1) {
        el.append(svg("text", { class: "axis-label", x: width - PAD.right - 4 - (entries.length - 1 - index) * 34, y: PAD.top + 8, "text-anchor": "end", fill: color, style: `fill:${color}` }, name));
      }
    });
    const last = entries.map(([, points]) => points[points.length - 1][1]);
    this.latest.textContent = entries.length === 1 ? this.format(last[0]) : last.map((v) => this.format(v)).join(" · ");
  }
}
