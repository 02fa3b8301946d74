// Audit log (admins): who did what, when, from where, with what result; filtered, paged, exported.

import { apiPage, apiUrl } from "../api.js";
import { $, fill, h, pill } from "../dom.js";
import * as fmt from "../format.js";
import { bindFilters, initLayout, queryState, renderPager, writeQueryState } from "../layout.js";

const PAGE_SIZE = 50;
const AUDIT = "/api/v1/audit";
const state = queryState({ user_name: "", action: "", target: "", succeeded: "", offset: 0 });

function filters() {
  return { user_name: state.user_name, action: state.action, target: state.target, succeeded: state.succeeded };
}

function result(status) {
  const done = status === 0 || (status >= 100 && status < 400);
  return pill(String(status), done ? "ok" : "bad");
}

function row(e) {
  return h("tr", { dataset: { auditId: e.id } },
    h("td", {}, fmt.time(e.at)),
    h("td", { class: "strong" }, e.user_name || "–"),
    h("td", {}, e.api_key_name || (e.auth === "session" ? "session" : "–")),
    h("td", { class: "audit-action" }, e.action),
    h("td", {}, e.target || "–"),
    h("td", {}, e.client_address || "–"),
    h("td", { class: "audit-result" }, result(e.status)),
  );
}

async function refresh() {
  const page = await apiPage(AUDIT, { ...filters(), limit: PAGE_SIZE, offset: state.offset });
  fill($("#audit tbody"), page.items.map(row));
  $("#empty").hidden = page.items.length !== 0;
  $("#count").textContent = `${page.total.toLocaleString()} entr${page.total === 1 ? "y" : "ies"}`;
  $("#export").href = apiUrl(`${AUDIT}/export.csv`, filters());
  renderPager($("#pager"), page, (offset) => {
    state.offset = offset;
    writeQueryState(state);
    refresh();
  });
}

await initLayout();
bindFilters($("#filters"), state, () => {
  writeQueryState(state);
  refresh();
});
await refresh();
document.body.dataset.ready = "true";
