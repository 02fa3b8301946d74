// Overview: fleet figures, connectors by status, versions, stations needing attention.

import { api } from "../api.js";
import { $, fill, h, pill } from "../dom.js";
import * as fmt from "../format.js";
import { initLayout } from "../layout.js";
import { liveRefresh } from "../live.js";

const STATUS_KIND = {
  Available: "ok", Occupied: "accent", Charging: "accent", Preparing: "accent", SuspendedEV: "accent",
  SuspendedEVSE: "accent", Finishing: "accent", Reserved: "warn", Unavailable: "muted", Faulted: "bad",
};

function bars(el, counts, kindOf) {
  const entries = Object.entries(counts);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  if (!entries.length) {
    fill(el, h("p", { class: "empty" }, "Nothing reported yet."));
    return;
  }
  fill(
    el,
    entries.map(([label, count]) =>
      h("div", { class: "bar-row", dataset: { label } },
        h("span", { class: "bar-label" }, label),
        h("span", { class: "bar-track" },
          h("span", { class: `bar-fill ${kindOf(label)}`, style: `width:${(100 * count) / max}%` })),
        h("span", { class: "bar-count" }, count.toLocaleString()),
      ),
    ),
  );
}

function render(summary) {
  $("#kpi-stations").textContent = summary.stations_total.toLocaleString();
  $("#kpi-stations-sub").textContent = Object.entries(summary.stations_by_version)
    .map(([version, n]) => `${n} × ${version}`)
    .join(" · ");
  $("#kpi-online").textContent = summary.stations_online.toLocaleString();
  const share = summary.stations_total ? Math.round((100 * summary.stations_online) / summary.stations_total) : 0;
  $("#kpi-online-sub").textContent = `${share} % of the fleet`;
  $("#kpi-offline").textContent = summary.stations_offline.toLocaleString();
  $("#kpi-faulted").textContent = summary.stations_faulted.toLocaleString();
  $("#kpi-sessions").textContent = summary.active_sessions.toLocaleString();
  $("#kpi-power").textContent = fmt.power(summary.power_w);
  $("#kpi-energy").textContent = fmt.energy(summary.energy_today_wh);
  bars($("#connector-bars"), summary.connectors_by_status, (s) => STATUS_KIND[s] || "muted");
  bars($("#version-bars"), summary.stations_by_version, () => "accent");

  const rows = summary.attention.map((s) =>
    h("tr", { dataset: { stationId: s.id } },
      h("td", {}, h("a", { href: `/stations/${encodeURIComponent(s.id)}` }, s.id)),
      h("td", {}, s.faulted ? pill("Faulted", "bad") : null, " ", s.connected ? null : pill("Offline", "warn")),
      h("td", {}, s.ocpp_version || "–"),
      h("td", { title: fmt.time(s.last_seen) }, fmt.ago(s.last_seen)),
    ),
  );
  fill($("#attention tbody"), rows);
  $("#attention").hidden = rows.length === 0;
  $("#attention-empty").hidden = rows.length !== 0;
  $("#attention-count").textContent =
    summary.attention_total > rows.length ? `${rows.length} of ${summary.attention_total}` : "";
}

async function refresh() {
  render(await api("/api/v1/dashboard/overview", { params: { day_start: fmt.localMidnight() } }));
}

await initLayout();
const schedule = liveRefresh(refresh, {
  matches: (e) => /^(station|connector|transaction)\./.test(e.kind),
  minInterval: 1500,
});
// Power and "last seen" move without events of their own.
setInterval(schedule, 15000);
// Everything is wired: tests (and scripts) may click from here on.
document.body.dataset.ready = "true";
