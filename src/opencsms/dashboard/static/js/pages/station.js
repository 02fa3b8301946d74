// One station: facts, EVSEs/connectors live, its sessions, configuration, message log,
// security events and (operators) command forms.

import { api, apiPage, ApiError, sendCommand } from "../api.js";
import { commandForm, COMMAND_FORMS, showAnswer } from "../commands.js";
import { $, $$, fill, h, pill } from "../dom.js";
import * as fmt from "../format.js";
import { initLayout, renderPager, toast } from "../layout.js";
import { liveRefresh, onLiveEvent } from "../live.js";
import { messageLog } from "../message_log.js";

const root = $("#station");
const stationId = root.dataset.stationId;
const base = `/api/v1/stations/${encodeURIComponent(stationId)}`;
let station = null;

export const CONNECTOR_KIND = {
  Available: "ok", Preparing: "accent", Charging: "accent", SuspendedEV: "accent", SuspendedEVSE: "accent",
  Finishing: "accent", Occupied: "accent", Reserved: "warn", Unavailable: "muted", Faulted: "bad",
};

async function loadStation() {
  try {
    return await api(base);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    return null;
  }
}

function renderFacts() {
  const status = $("#station-status");
  if (!station) {
    status.textContent = "Unknown";
    status.className = "pill bad";
    return;
  }
  status.textContent = station.connected ? "Online" : "Offline";
  status.className = `pill ${station.connected ? "ok" : "warn"}`;
  for (const dd of $$("[data-fact]")) {
    const name = dd.dataset.fact;
    const value = station[name];
    dd.textContent = name === "last_seen" || name === "last_boot" ? fmt.time(value) : value || "–";
  }
}

// -- connectors -------------------------------------------------------------------------------

function connectorCard(c) {
  const label = c.evse_id > 0 ? `EVSE ${c.evse_id} · connector ${c.connector_id}` : c.connector_id === 0 ? "Charge point" : `Connector ${c.connector_id}`;
  const kind = CONNECTOR_KIND[c.status] || "muted";
  return h("div", { class: "connector", dataset: { kind, evseId: c.evse_id, connectorId: c.connector_id } },
    h("div", { class: "connector-title" }, label, pill(c.status, kind)),
    c.error_code && c.error_code !== "NoError" ? h("div", { class: "error" }, c.error_code, c.info ? ` – ${c.info}` : "") : null,
    h("div", { class: "connector-meta" }, `since ${fmt.time(c.updated_at)}`),
    h("div", { class: "connector-power", hidden: true }),
  );
}

// Live power of each charging point, from the transaction.meter events: the last sample's
// Power.Active.Import (the total, else the sum of its phases), in W.
function samplePower(samples) {
  const values = (samples.at(-1)?.values || []).filter((v) => (v.measurand || "Energy.Active.Import.Register") === "Power.Active.Import");
  const watts = (v) => Number(v.value) * (String(v.unit || "W").toLowerCase() === "kw" ? 1000 : 1);
  const total = values.find((v) => !v.phase);
  if (total) return watts(total);
  const phases = values.filter((v) => /^L[123](-N)?$/.test(v.phase));
  return phases.length ? phases.reduce((sum, v) => sum + watts(v), 0) : null;
}

const lastPower = new Map(); // card selector -> W

function showPower(data) {
  const watts = samplePower(data.samples || []);
  if (watts === null || !Number.isFinite(watts)) return;
  const selector = data.evse_id
    ? `.connector[data-evse-id='${data.evse_id}']:not([data-connector-id='0'])`
    : `.connector[data-evse-id='0'][data-connector-id='${data.connector_id}']`;
  lastPower.set(selector, watts);
  paintPower();
}

function paintPower() {
  for (const [selector, watts] of lastPower) {
    const card = $(selector);
    const line = card?.querySelector(".connector-power");
    if (!line) continue;
    line.textContent = `${fmt.power(watts)} now`;
    line.hidden = card.dataset.kind !== "accent"; // only while a vehicle is at the point
  }
}

async function refreshConnectors() {
  let connectors = [];
  try {
    connectors = (await api(`${base}/connectors`, { params: { limit: 1000 } })).items;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
  fill($("#connectors"), connectors.map(connectorCard));
  $("#connectors-empty").hidden = connectors.length !== 0;
  paintPower();
}

// -- sessions ---------------------------------------------------------------------------------

const sessionsState = { offset: 0 };

function sessionRow(t) {
  const href = `/sessions/${t.id}`;
  return h("tr", { dataset: { transactionId: t.id }, onclick: () => location.assign(href) },
    h("td", {}, h("a", { href }, `${t.id}`)),
    h("td", {}, t.evse_id ? `${t.evse_id}/${t.connector_id ?? "–"}` : t.connector_id ?? "–"),
    h("td", {}, t.id_token || "–"),
    h("td", {}, fmt.time(t.started_at)),
    h("td", {}, fmt.time(t.stopped_at)),
    h("td", {}, fmt.energy(t.energy_wh)),
    h("td", {}, t.status === "active" ? pill("Charging", "accent") : t.ended_by === "inferred" ? pill("Ended (inferred)", "warn") : pill(t.stop_reason || "Ended", "muted")),
  );
}

async function refreshSessions() {
  const page = await apiPage("/api/v1/transactions", { station_id: stationId, limit: 20, offset: sessionsState.offset });
  fill($("#station-sessions tbody"), page.items.map(sessionRow));
  $("#station-sessions-empty").hidden = page.items.length !== 0;
  renderPager($("#station-sessions-pager"), page, (offset) => {
    sessionsState.offset = offset;
    refreshSessions();
  });
}

// -- configuration ----------------------------------------------------------------------------
// What the CSMS knows (GET .../configuration: 1.6 keys, 2.0.1 variables), read again from the
// station on demand, each writable entry editable by operators (set_configuration).

let canEdit = false;

function configRow(entry) {
  const readOnly = entry.mutability === "ReadOnly";
  const input = h("input", { class: "config-value", value: entry.value ?? "", disabled: readOnly || !canEdit, "aria-label": entry.key });
  const answer = h("span", { class: "command-answer" });
  const save = async () => {
    try {
      showAnswer(answer, await sendCommand(stationId, "set_configuration", { key: entry.key, value: input.value }));
    } catch (error) {
      showAnswer(answer, error);
    }
  };
  const action = canEdit && !readOnly
    ? h("button", { type: "button", class: "button small", onclick: save }, "Save")
    : h("span", { class: "muted" }, readOnly ? "read-only" : "");
  const unit = entry.unit ? h("span", { class: "muted" }, ` ${entry.unit}`) : null;
  return h("tr", { dataset: { key: entry.key } },
    h("td", { class: "strong" }, entry.key), h("td", {}, input, unit), h("td", {}, action, answer));
}

async function refreshConfiguration() {
  let entries = [];
  try {
    entries = (await api(`${base}/configuration`, { params: { limit: 1000 } })).items;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
  entries.sort((a, b) => a.key.localeCompare(b.key));
  fill($("#config tbody"), entries.map(configRow));
  const needle = $("#config-filter").value.toLowerCase();
  for (const row of $$("#config tbody tr")) row.hidden = !row.dataset.key.toLowerCase().includes(needle);
  $("#config-note").textContent = entries.length
    ? `${entries.length} entries known.`
    : "Nothing known yet: read the configuration from the station.";
}

async function readConfigurationFromStation() {
  const note = $("#config-note");
  note.textContent = "Reading from the station…";
  try {
    const result = await sendCommand(stationId, "get_configuration", {});
    note.textContent = `The station answered ${result.action}${result.status ? `: ${result.status}` : ""}.`;
  } catch (error) {
    note.textContent = `Cannot read the configuration: ${error.message}`;
    return;
  }
  // A 2.x station sends its variables in reports after answering: look again shortly.
  for (const delay of [300, 1500, 4000]) setTimeout(() => refreshConfiguration(), delay);
}

// -- security events --------------------------------------------------------------------------

async function securityEvents() {
  try {
    return await apiPage(`${base}/security-events`, { limit: 50 });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
  return apiPage(`/api/v1/dashboard/stations/${encodeURIComponent(stationId)}/security-events`, { limit: 50 });
}

async function refreshSecurity() {
  let page;
  try {
    page = await securityEvents();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      $("#security-empty").textContent = "This server does not list security events.";
      $("#security-empty").hidden = false;
      return;
    }
    throw error;
  }
  fill($("#security-events tbody"), page.items.map((e) =>
    h("tr", {},
      h("td", {}, fmt.time(e.occurred_at || e.timestamp)),
      h("td", {}, h("span", { class: "strong" }, e.event_type || e.type), e.source ? h("span", { class: "muted" }, ` · ${e.source}`) : null),
      h("td", {}, e.tech_info || ""))));
  $("#security-empty").hidden = page.items.length !== 0;
}

// -- tabs -------------------------------------------------------------------------------------

const loaders = { sessions: refreshSessions, security: refreshSecurity, configuration: refreshConfiguration };
let activeTab = "connectors";

function selectTab(name) {
  activeTab = name;
  for (const tab of $$(".tabs [data-tab]")) tab.classList.toggle("active", tab.dataset.tab === name);
  for (const panel of $$("[data-panel]")) panel.hidden = panel.dataset.panel !== name;
  history.replaceState(null, "", `#${name}`);
  loaders[name]?.().catch((error) => toast(error.message, "bad"));
}

await initLayout();
const canOperate = Boolean($(".tabs [data-tab='commands']"));
canEdit = canOperate;
for (const tab of $$(".tabs [data-tab]")) tab.addEventListener("click", () => selectTab(tab.dataset.tab));

if (canOperate) {
  fill($("#commands"), COMMAND_FORMS.map((spec) =>
    commandForm(stationId, spec, () => station?.ocpp_version || "1.6", (command) => {
      if (command === "remote_start" || command === "remote_stop") scheduleSessions();
    })));
}
$("#config-load")?.addEventListener("click", readConfigurationFromStation);
$("#config-filter").addEventListener("input", (event) => {
  const needle = event.target.value.toLowerCase();
  for (const row of $$("#config tbody tr")) row.hidden = !row.dataset.key.toLowerCase().includes(needle);
});

const log = messageLog($("#message-log"), $("#message-log-empty"), $("#message-log-pager"), base);
$("#log-action").addEventListener("input", (event) => log.filter(event.target.value.trim()));
$("#log-follow").addEventListener("change", (event) => log.follow(event.target.checked));

liveRefresh(async () => {
  station = await loadStation();
  renderFacts();
}, { matches: (e) => e.station_id === stationId && e.kind.startsWith("station."), minInterval: 1000 });
liveRefresh(refreshConnectors, {
  matches: (e) => e.station_id === stationId && (e.kind === "connector.status" || e.kind.startsWith("station.")),
  minInterval: 500,
});
const scheduleSessions = liveRefresh(() => (activeTab === "sessions" ? refreshSessions() : null), {
  matches: (e) => e.station_id === stationId && e.kind.startsWith("transaction.") && e.kind !== "transaction.meter",
  minInterval: 1000,
});
onLiveEvent((event) => {
  if (event.station_id !== stationId) return;
  if (event.kind === "transaction.meter") showPower(event.data);
  log.live(event);
  if (event.kind === "security.event" && activeTab === "security") refreshSecurity();
});

const initial = location.hash.slice(1);
selectTab($(`.tabs [data-tab='${initial}']`) ? initial : "connectors");
document.title = `${stationId} · opencsms`;
// Everything is wired: tests (and scripts) may click from here on.
document.body.dataset.ready = "true";
