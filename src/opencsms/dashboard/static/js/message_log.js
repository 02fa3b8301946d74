// A station's OCPP message log: newest first, each frame expandable as pretty JSON, filter by
// action, new frames added live.

import { ApiError, apiPage } from "./api.js";
import { fill, h } from "./dom.js";
import * as fmt from "./format.js";
import { renderPager } from "./layout.js";

const MESSAGE_TYPES = { 2: "CALL", 3: "RESULT", 4: "ERROR", 5: "RESULT ERROR", 6: "SEND" };
const PAGE_SIZE = 50;

/**
 * The frame parsed, its type and action: CALLs carry their action; a result or error gets the
 * action of the CALL with its message id (`actions`: id -> action, from the same page).
 */
function describe(entry, actions = new Map()) {
  let frame = entry.frame;
  if (typeof frame === "string") {
    try {
      frame = JSON.parse(frame);
    } catch {
      frame = null;
    }
  }
  const type = Array.isArray(frame) ? MESSAGE_TYPES[frame[0]] || String(frame[0]) : "?";
  let action = entry.action || "";
  if (!action && Array.isArray(frame)) action = frame[0] === 2 ? frame[2] : actions.get(frame[1]) || "";
  return { frame, type, action };
}

function item(entry, actions) {
  const { frame, type, action } = describe(entry, actions);
  const direction = entry.direction === "in" ? "in" : "out";
  return h("li", { dataset: { action: action || "", direction } },
    h("details", {},
      h("summary", {},
        h("span", {}, fmt.time(entry.timestamp)),
        h("span", { class: `dir-${direction}` }, direction === "in" ? "← in" : "→ out"),
        h("span", {}, type),
        h("span", { class: "strong" }, action || (Array.isArray(frame) ? `id ${frame[1]}` : "")),
      ),
      h("pre", {}, frame ? JSON.stringify(frame, null, 2) : String(entry.frame)),
    ),
  );
}

/** The log widget: `filter(action)`, `follow(on)`, `live()` (an event of the station happened). */
export function messageLog(list, empty, pager, stationBase) {
  const state = { action: "", offset: 0, follow: true, available: true, timer: null };
  let loading = null;
  const matches = (action) => !state.action || (action || "").toLowerCase().includes(state.action.toLowerCase());

  async function load() {
    let page;
    try {
      page = await apiPage(`${stationBase}/messages`, { action: state.action, limit: PAGE_SIZE, offset: state.offset });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        state.available = false;
        empty.textContent = "This server keeps no OCPP message log.";
        empty.hidden = false;
        return;
      }
      throw error;
    }
    // The server filters by action when it can; the same filter here keeps the list exact.
    const actions = new Map();
    for (const entry of page.items) {
      const { frame } = describe(entry);
      if (Array.isArray(frame) && frame[0] === 2) actions.set(frame[1], frame[2]);
    }
    const items = page.items.filter((entry) => matches(describe(entry, actions).action));
    fill(list, items.map((entry) => item(entry, actions)));
    empty.hidden = items.length !== 0;
    renderPager(pager, page, (offset) => {
      state.offset = offset;
      reload();
    });
  }

  function reload() {
    loading = load().finally(() => {
      loading = null;
    });
    return loading;
  }

  reload();
  return {
    filter(action) {
      state.action = action;
      state.offset = 0;
      reload();
    },
    follow(on) {
      state.follow = on;
      if (on) reload();
    },
    /** Something happened at the station: its frames are in the log within a second. */
    live() {
      if (!state.available || !state.follow || state.offset !== 0) return;
      clearTimeout(state.timer);
      state.timer = setTimeout(() => {
        if (!loading) reload();
      }, 1200);
    },
  };
}
