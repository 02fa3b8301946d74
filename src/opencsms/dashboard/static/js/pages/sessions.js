// Sessions: every charging session, filtered and paged by the server, exported as CSV.

import { apiPage, apiUrl } from "../api.js";
import { $, fill, h, pill } from "../dom.js";
import * as fmt from "../format.js";
import { bindFilters, initLayout, queryState, renderPager, writeQueryState } from "../layout.js";
import { liveRefresh } from "../live.js";

const PAGE_SIZE = 50;
const state = queryState({ station_id: "", id_token: "", active: "", started_from: "", started_to: "", offset: 0 });
let shown = new Set();

/** A date input's day as the start of that local day, ISO 8601 ("" stays ""). */
function dayStart(value, plusDays = 0) {
  if (!value) return "";
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day + plusDays).toISOString();
}

function filters() {
  return {
    station_id: state.station_id, id_token: state.id_token, active: state.active,
    started_from: dayStart(state.started_from), started_to: dayStart(state.started_to, 1),
  };
}

function row(t) {
  const href = `/sessions/${t.id}`;
  const end = t.stopped_at ? new Date(t.stopped_at) : new Date();
  return h("tr", { dataset: { transactionId: t.id }, onclick: () => location.assign(href) },
    h("td", {}, h("a", { href, class: "strong" }, `${t.id}`)),
    h("td", {}, h("a", { href: `/stations/${encodeURIComponent(t.station_id)}`, onclick: (e) => e.stopPropagation() }, t.station_id)),
    h("td", {}, t.evse_id ? `${t.evse_id}/${t.connector_id ?? "–"}` : t.connector_id ?? "–"),
    h("td", {}, t.id_token || "–"),
    h("td", {}, fmt.time(t.started_at)),
    h("td", {}, fmt.duration(end - new Date(t.started_at))),
    h("td", { class: "num" }, fmt.energy(t.energy_wh)),
    h("td", { class: "session-status" }, t.status === "active" ? pill("Charging", "accent") : t.ended_by === "inferred" ? pill("Ended (inferred)", "warn") : pill(t.stop_reason || "Ended", "muted")),
  );
}

async function refresh() {
  const page = await apiPage("/api/v1/transactions", { ...filters(), limit: PAGE_SIZE, offset: state.offset, sort: "-id" });
  shown = new Set(page.items.map((t) => t.id));
  fill($("#sessions tbody"), page.items.map(row));
  $("#empty").hidden = page.items.length !== 0;
  $("#count").textContent = `${page.total.toLocaleString()} session${page.total === 1 ? "" : "s"}`;
  $("#export").href = apiUrl("/api/v1/transactions/export.csv", filters());
  renderPager($("#pager"), page, (offset) => {
    state.offset = offset;
    writeQueryState(state);
    schedule();
  });
}

await initLayout();
const schedule = liveRefresh(refresh, {
  matches: (e) => e.kind === "transaction.started" || (e.kind === "transaction.ended" && shown.has(e.data.transaction_id)),
  minInterval: 1000,
});
bindFilters($("#filters"), state, () => {
  writeQueryState(state);
  schedule();
});
// Everything is wired: tests (and scripts) may click from here on.
document.body.dataset.ready = "true";
