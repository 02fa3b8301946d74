// One session: figures, live charts of power, energy, current, voltage and SoC, its events,
// and (operators) a stop button.

import { api, sendCommand } from "../api.js";
import { LineChart } from "../chart.js";
import { showAnswer } from "../commands.js";
import { $, fill, h } from "../dom.js";
import * as fmt from "../format.js";
import { initLayout } from "../layout.js";
import { liveRefresh } from "../live.js";

const root = $("#session");
const transactionId = Number(root.dataset.transactionId);
const charts = $("#charts");
const axis = (format) => (value, onAxis) => (onAxis ? format(value).replace(/\.0+ /, " ") : format(value));
const number = (unit, digits = 1) => (v) => `${v.toLocaleString(undefined, { maximumFractionDigits: digits })} ${unit}`;
const CHARTS = {
  power_w: new LineChart(charts, { id: "chart-power", title: "Power", format: axis(fmt.power) }),
  energy_wh: new LineChart(charts, { id: "chart-energy", title: "Energy", format: axis(fmt.energy) }),
  current_a: new LineChart(charts, { id: "chart-current", title: "Current", format: number("A") }),
  voltage_v: new LineChart(charts, { id: "chart-voltage", title: "Voltage", format: number("V"), zero: false }),
  soc_percent: new LineChart(charts, { id: "chart-soc", title: "State of charge", format: number("%", 0) }),
};
let transaction = null;

function last(lines) {
  const points = lines?.total;
  return points?.length ? points[points.length - 1][1] : null;
}

function render(view) {
  transaction = view.transaction;
  const t = transaction;
  const active = t.status === "active";
  const status = $("#session-status");
  const inferred = t.ended_by === "inferred";
  const ending = inferred ? ` · inferred (${t.inferred_cause}), to review` : t.stop_reason ? ` · ${t.stop_reason}` : "";
  status.textContent = active ? "Charging" : `Ended${ending}`;
  status.className = `pill ${active ? "accent" : inferred ? "warn" : "muted"}`;
  fill($("#s-station"), h("a", { href: `/stations/${encodeURIComponent(t.station_id)}` }, t.station_id));
  $("#s-connector").textContent = t.evse_id ? `EVSE ${t.evse_id} · connector ${t.connector_id ?? "–"}` : `connector ${t.connector_id ?? "–"}`;
  $("#s-token").textContent = t.id_token || "–";
  $("#s-ref").textContent = `station's id ${t.transaction_ref}`;
  const power = last(view.series.power_w);
  $("#s-power").textContent = active ? fmt.power(power) : "–";
  $("#s-energy").textContent = fmt.energy(t.energy_wh ?? last(view.series.energy_wh));
  const end = t.stopped_at ? new Date(t.stopped_at) : new Date();
  $("#s-duration").textContent = fmt.duration(end - new Date(t.started_at));
  $("#s-times").textContent = `${fmt.time(t.started_at)} → ${t.stopped_at ? fmt.time(t.stopped_at) : "now"}`;
  const soc = last(view.series.soc_percent);
  $("#s-soc").textContent = soc === null ? "–" : `${Math.round(soc)} %`;
  for (const [name, chart] of Object.entries(CHARTS)) chart.setLines(view.series[name]);
  CHARTS.soc_percent.card.hidden = !view.series.soc_percent.total;
  fill($("#events"), view.events.map((e) =>
    h("li", {}, h("span", { class: "muted" }, fmt.time(e.timestamp)), h("span", { class: "strong" }, e.kind), h("span", {}, e.detail))));
  const actions = $("#session-actions");
  if (actions) actions.hidden = !active;
}

async function cost() {
  try {
    return await api(`/api/v1/transactions/${transactionId}/cost`);
  } catch {
    return null; // no tariff prices it, or costing is off
  }
}

function renderCost(c) {
  const priced = c && c.total_incl_vat !== null;
  $("#s-cost").textContent = priced ? `${c.total_incl_vat} ${c.currency}` : "–";
  $("#s-cost-note").textContent = !priced ? "no tariff" : c.final ? `incl. VAT · final (CDR ${c.cdr_id})` : "incl. VAT · so far";
}

async function refresh() {
  const [view, c] = await Promise.all([api(`/api/v1/dashboard/sessions/${transactionId}`), cost()]);
  render(view);
  renderCost(c);
}

await initLayout();
const stop = $("#stop-session");
if (stop) {
  stop.addEventListener("click", async () => {
    stop.disabled = true;
    try {
      showAnswer($("#stop-answer"), await sendCommand(transaction.station_id, "remote_stop", { transaction_id: transactionId }));
    } catch (error) {
      showAnswer($("#stop-answer"), error);
    } finally {
      stop.disabled = false;
    }
  });
}
const schedule = liveRefresh(refresh, {
  matches: (e) => e.kind.startsWith("transaction.") && e.data.transaction_id === transactionId,
  minInterval: 1000,
});
// The duration moves on its own.
setInterval(() => {
  if (transaction?.status === "active") schedule();
}, 10000);

// Everything is wired: tests (and scripts) may click from here on.
document.body.dataset.ready = "true";
