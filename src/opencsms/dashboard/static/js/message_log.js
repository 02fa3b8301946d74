// A station's OCPP message log: newest first, each frame expandable as pretty JSON, filter by
// action, new frames added live.

import { ApiError, apiPage } from "./api.js";
import { fill, h } from "./dom.js";
import * as fmt from "./format.js";
import { renderPager } from "./layout.js";

const MESSAGE_TYPES = { 2: "CALL", 3: "RESULT", 4: "ERROR", 5: "RESULT ERROR", 6: "SEND" };
const PAGE_SIZE = 50;

/** The action of a logged frame, from the entry or from the frame itself (CALLs carry it). */
function describe(entry) {
  let frame = entry.frame;
  if (typeof frame === "string") {
    try {
      frame = JSON.parse(frame);
    } catch {
      frame = null;
    }
  }
  const type = Array.isArray(frame) ? MESSAGE_TYPES[frame[0]] || String(frame[0]) : "?";
  const action = entry.action || (Array.isArray(frame) && frame[0] === 2 ? frame[2] : "");
  return { frame, type, action };
}

function item(entry) {
  const { frame, type, action } = describe(entry);
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

/** The log widget: `filter(action)`, `follow(on)`, `live(event)` (a bus event of the station). */
export function messageLog(list, empty, pager, stationBase) {
  const state = { action: "", offset: 0, follow: true, available: true };
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
    const items = page.items.filter((entry) => matches(describe(entry).action));
    fill(list, items.map(item));
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
    live(event) {
      if (!state.available || !state.follow || state.offset !== 0 || loading) return;
      if (!event.kind.startsWith("message.")) return;
      const entry = event.data;
      if (!matches(describe(entry).action)) return;
      list.prepend(item(entry));
      empty.hidden = true;
      while (list.children.length > PAGE_SIZE) list.lastElementChild.remove();
    },
  };
}
