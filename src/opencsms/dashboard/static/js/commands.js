// Operator command forms: one form per command, each showing the station's answer.

import { ApiError, sendCommand } from "./api.js";
import { fill, h } from "./dom.js";

const TRIGGERABLE = ["BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "FirmwareStatusNotification", "DiagnosticsStatusNotification", "LogStatusNotification", "SignChargingStationCertificate"];

const int = (value) => (value === "" || value === undefined ? undefined : Number.parseInt(value, 10));

/** What each form sends: its fields and how they become the command's arguments. */
export const COMMAND_FORMS = [
  {
    command: "remote_start", title: "Remote start", primary: true,
    fields: [
      { name: "id_token", label: "Id token", required: true, placeholder: "token to charge with" },
      { name: "connector_id", label: "Connector / EVSE", type: "number", min: 1, value: "1" },
    ],
    args: (v, version) => version === "1.6"
      ? { id_token: v.id_token, connector_id: int(v.connector_id) }
      : { id_token: v.id_token, evse_id: int(v.connector_id) },
  },
  {
    command: "remote_stop", title: "Remote stop",
    fields: [{ name: "transaction_id", label: "Transaction #", type: "number", min: 1, required: true }],
    args: (v) => ({ transaction_id: int(v.transaction_id) }),
  },
  {
    command: "reset", title: "Reset",
    fields: [{ name: "kind", label: "Type", options: ["Soft", "Hard"] }],
    args: (v) => ({ kind: v.kind }),
  },
  {
    command: "unlock_connector", title: "Unlock connector",
    fields: [
      { name: "connector_id", label: "Connector", type: "number", min: 1, value: "1" },
      { name: "evse_id", label: "EVSE (2.x)", type: "number", min: 1 },
    ],
    args: (v) => ({ connector_id: int(v.connector_id), evse_id: int(v.evse_id) }),
  },
  {
    command: "change_availability", title: "Change availability",
    fields: [
      { name: "operative", label: "Availability", options: ["Operative", "Inoperative"] },
      { name: "connector_id", label: "Connector (0 = station)", type: "number", min: 0, value: "0" },
      { name: "evse_id", label: "EVSE (2.x)", type: "number", min: 0 },
    ],
    args: (v) => ({ operative: v.operative === "Operative", connector_id: int(v.connector_id) ?? 0, evse_id: int(v.evse_id) }),
  },
  {
    command: "trigger_message", title: "Trigger message",
    fields: [
      { name: "message", label: "Message", options: TRIGGERABLE },
      { name: "connector_id", label: "Connector", type: "number", min: 0 },
    ],
    args: (v) => ({ message: v.message, connector_id: int(v.connector_id) }),
  },
  {
    command: "reserve_now", title: "Reserve",
    fields: [
      { name: "id_token", label: "Id token", required: true },
      { name: "connector_id", label: "Connector / EVSE (0 or empty = any)", type: "number", min: 0 },
      { name: "minutes", label: "Minutes", type: "number", min: 1, value: "15" },
    ],
    args: (v, version) => {
      const where = int(v.connector_id);
      const args = { id_token: v.id_token, expires_in: (int(v.minutes) || 15) * 60 };
      if (version === "1.6") args.connector_id = where ?? 0;
      else if (where) args.evse_id = where;
      return args;
    },
  },
  {
    command: "cancel_reservation", title: "Cancel reservation",
    fields: [{ name: "reservation_id", label: "Reservation #", type: "number", min: 1, required: true }],
    args: (v) => ({ reservation_id: int(v.reservation_id) }),
  },
  {
    command: "send_local_list", title: "Send local authorization list",
    fields: [{ name: "update_type", label: "Update", options: ["Full", "Differential"] }],
    args: (v) => ({ update_type: v.update_type }),
  },
  {
    command: "update_firmware", title: "Update firmware",
    fields: [{ name: "location", label: "Firmware URL", required: true, type: "url" }],
    args: (v) => ({ location: v.location }),
  },
  { command: "clear_cache", title: "Clear authorization cache", fields: [], args: () => ({}) },
  {
    command: "data_transfer", title: "Data transfer",
    fields: [
      { name: "vendor_id", label: "Vendor id", required: true },
      { name: "message_id", label: "Message id" },
      { name: "data", label: "Data" },
    ],
    args: (v) => ({ vendor_id: v.vendor_id, message_id: v.message_id || undefined, data: v.data || undefined }),
  },
];

function field(spec) {
  const control = spec.options
    ? h("select", { name: spec.name }, spec.options.map((o) => h("option", { value: o }, o)))
    : h("input", {
        name: spec.name, type: spec.type || "text", min: spec.min, required: spec.required,
        placeholder: spec.placeholder, value: spec.value,
      });
  return h("label", {}, spec.label, control);
}

/** Show the outcome of a command: the station's status and its whole answer, or the problem. */
export function showAnswer(el, outcome) {
  if (outcome instanceof Error) {
    const title = outcome instanceof ApiError ? outcome.problem.title || `HTTP ${outcome.status}` : "Failed";
    fill(el, h("span", { class: "pill bad" }, title), " ", outcome.message);
    el.dataset.outcome = "error";
    return;
  }
  const accepted = ["Accepted", "Unlocked", "Scheduled"].includes(outcome.status) || (outcome.status == null && outcome.action === "UpdateFirmware");
  fill(
    el,
    h("span", { class: `pill ${accepted ? "ok" : "warn"}` }, outcome.status || "answered"),
    " ", h("span", { class: "muted" }, outcome.action),
    h("pre", {}, JSON.stringify(outcome.response, null, 2)),
  );
  el.dataset.outcome = outcome.status || "answered";
}

/** A card with one command's form; `version()` gives the station's OCPP version when sending. */
export function commandForm(stationId, spec, version, onSent = () => {}) {
  const answer = h("div", { class: "command-answer", dataset: { answerFor: spec.command } });
  const button = h("button", { class: `button ${spec.primary ? "primary" : ""}`, type: "submit" }, `Send`);
  const form = h("form", { class: "card command", dataset: { command: spec.command } },
    h("h3", {}, spec.title),
    spec.fields.length ? h("div", { class: "fields" }, spec.fields.map(field)) : null,
    h("div", { class: "actions" }, button),
    answer,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    button.disabled = true;
    fill(answer, h("span", { class: "muted" }, "waiting for the station…"));
    try {
      const result = await sendCommand(stationId, spec.command, spec.args(values, version()));
      showAnswer(answer, result);
      onSent(spec.command, result);
    } catch (error) {
      showAnswer(answer, error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
