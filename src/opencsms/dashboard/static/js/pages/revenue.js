// Revenue: by day (a bar chart) and by site, station, token group or tariff (a table), from the
// CDRs; refreshed live as sessions are billed.

import { api, apiUrl } from "../api.js";
import { $, fill, h } from "../dom.js";
import { niceTicks } from "../chart.js";
import { bindFilters, initLayout, queryState, writeQueryState } from "../layout.js";
import { liveRefresh } from "../live.js";

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 200;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };
const LABELS = { site: "Site", station: "Station", token_group: "Token group", tariff: "Tariff" };
const state = queryState({ from: "", to: "", group: "site" });

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

function period() {
  const params = {};
  if (state.from) params.stopped_from = new Date(`${state.from}T00:00:00`).toISOString();
  if (state.to) {
    const end = new Date(`${state.to}T00:00:00`);
    end.setDate(end.getDate() + 1);
    params.stopped_to = end.toISOString();
  }
  return params;
}

/** Bars of revenue incl. VAT per day, for the first currency. */
function drawDays(rows) {
  const el = $("#by-day");
  const width = Math.max(el.clientWidth || 0, 300);
  el.replaceChildren();
  el.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
  const currency = rows.length ? rows[0].currency : "";
  const days = rows.filter((r) => r.currency === currency);
  el.dataset.bars = days.length;
  $("#currency").textContent = currency;
  if (!days.length) {
    el.append(svg("text", { x: width / 2, y: HEIGHT / 2, "text-anchor": "middle", class: "chart-empty" }, "no revenue yet"));
    return;
  }
  const values = days.map((d) => Number(d.revenue_incl_vat));
  const ticks = niceTicks(Math.min(0, ...values), Math.max(...values));
  const low = ticks[0];
  const high = ticks[ticks.length - 1];
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH - ((v - low) / (high - low)) * plotH;
  for (const tick of ticks) {
    el.append(svg("line", { x1: PAD.left, x2: width - PAD.right, y1: y(tick), y2: y(tick), class: "chart-grid" }));
    el.append(svg("text", { x: PAD.left - 6, y: y(tick) + 4, "text-anchor": "end", class: "chart-axis" }, tick.toLocaleString()));
  }
  const slot = plotW / days.length;
  days.forEach((day, i) => {
    const value = Number(day.revenue_incl_vat);
    const top = y(Math.max(value, 0));
    const bar = svg("rect", {
      x: PAD.left + i * slot + slot * 0.15, y: top, width: Math.max(slot * 0.7, 1),
      height: Math.max(Math.abs(y(value) - y(0)), 1), class: "chart-bar", fill: "#0f766e",
    });
    bar.append(svg("title", {}, `${day.key}: ${day.revenue_incl_vat} ${day.currency}`));
    el.append(bar);
    if (days.length <= 14 || i % Math.ceil(days.length / 14) === 0) {
      el.append(svg("text", { x: PAD.left + i * slot + slot / 2, y: HEIGHT - 8, "text-anchor": "middle", class: "chart-axis" }, day.key.slice(5)));
    }
  });
}

function row(r) {
  return h("tr", { dataset: { key: r.key ?? "" } },
    h("td", { class: "strong" }, r.key ?? "–"),
    h("td", {}, r.currency),
    h("td", {}, String(r.sessions)),
    h("td", {}, r.energy_kwh),
    h("td", {}, r.duration_hours),
    h("td", {}, r.revenue_excl_vat),
    h("td", { class: "revenue-incl" }, r.revenue_incl_vat),
  );
}

async function refresh() {
  const params = period();
  const [byDay, byGroup] = await Promise.all([
    api("/api/v1/revenue", { params: { ...params, group_by: "day", time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone } }),
    api("/api/v1/revenue", { params: { ...params, group_by: state.group } }),
  ]);
  drawDays(byDay.rows);
  $("#group-name").textContent = LABELS[state.group] || state.group;
  fill($("#groups tbody"), byGroup.rows.map(row));
  $("#empty").hidden = byGroup.rows.length !== 0;
  $("#totals").textContent = byGroup.totals
    .map((t) => `${t.sessions} sessions, ${t.revenue_incl_vat} ${t.currency} incl. VAT`)
    .join(" · ");
  $("#export").href = apiUrl("/api/v1/cdrs/export.csv", params);
}

await initLayout();
bindFilters($("#filters"), state, () => {
  writeQueryState(state);
  refresh();
});
liveRefresh(refresh, { matches: (event) => event.kind === "transaction.cost" && event.data?.final, minInterval: 2000 });
document.body.dataset.ready = "true";
