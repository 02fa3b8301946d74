// Stations: the list with live status, filters and search, paged by the server.

import { apiPage } from "../api.js";
import { $, fill, h, pill } from "../dom.js";
import * as fmt from "../format.js";
import { bindFilters, initLayout, queryState, renderPager, writeQueryState } from "../layout.js";
import { liveRefresh } from "../live.js";

const PAGE_SIZE = 50;
const state = queryState({ q: "", connected: "", ocpp_version: "", offset: 0 });
let shown = new Set();

function row(s) {
  const href = `/stations/${encodeURIComponent(s.id)}`;
  return h("tr", { dataset: { stationId: s.id, href }, onclick: () => location.assign(href) },
    h("td", {}, h("a", { href, class: "strong" }, s.id)),
    h("td", { class: "station-status" }, s.connected ? pill("Online", "ok") : pill("Offline", "warn")),
    h("td", {}, s.ocpp_version || "–"),
    h("td", {}, [s.vendor, s.model].filter(Boolean).join(" · ") || "–"),
    h("td", {}, s.firmware_version || "–"),
    h("td", { title: fmt.time(s.last_seen) }, fmt.ago(s.last_seen)),
    h("td", {}, s.registration_status === "Accepted" ? "Accepted" : pill(s.registration_status, "warn")),
  );
}

async function refresh() {
  const page = await apiPage("/api/v1/stations", {
    limit: PAGE_SIZE, offset: state.offset, q: state.q, connected: state.connected,
    ocpp_version: state.ocpp_version, sort: "id",
  });
  shown = new Set(page.items.map((s) => s.id));
  fill($("#stations tbody"), page.items.map(row));
  $("#empty").hidden = page.items.length !== 0;
  $("#count").textContent = `${page.total.toLocaleString()} station${page.total === 1 ? "" : "s"}`;
  renderPager($("#pager"), page, (offset) => {
    state.offset = offset;
    writeQueryState(state);
    schedule();
  });
}

await initLayout();
const schedule = liveRefresh(refresh, {
  // A station of this page changed, or one appeared (it may belong on this page).
  matches: (e) => e.kind.startsWith("station.") && (shown.has(e.station_id) || e.kind === "station.booted" || e.kind === "station.connected"),
  minInterval: 1000,
});
bindFilters($("#filters"), state, () => {
  writeQueryState(state);
  schedule();
});
setInterval(schedule, 30000);
// Everything is wired: tests (and scripts) may click from here on.
document.body.dataset.ready = "true";
