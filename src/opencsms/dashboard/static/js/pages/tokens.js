// Id tokens: list with search, add (with expiry and group), block.

import { api, apiPage } from "../api.js";
import { $, fill, h, pill } from "../dom.js";
import * as fmt from "../format.js";
import { applyRole, bindFilters, initLayout, queryState, renderPager, toast, writeQueryState } from "../layout.js";

const PAGE_SIZE = 50;
const TOKENS = "/api/v1/id-tokens";
const STATUS_KIND = { Accepted: "ok", Blocked: "bad", Expired: "warn", Invalid: "muted" };
const state = queryState({ q: "", status: "", offset: 0 });
let role = "viewer";

function row(t) {
  const expired = t.expiry_date && new Date(t.expiry_date) < new Date();
  const block = h("td", { dataset: { requires: "operator" } },
    t.status === "Blocked" ? null : h("button", { type: "button", class: "button small danger", onclick: () => blockToken(t.id_token) }, "Block"));
  const tr = h("tr", { dataset: { idToken: t.id_token } },
    h("td", { class: "strong" }, t.id_token),
    h("td", { class: "token-status" }, pill(expired && t.status === "Accepted" ? "Expired" : t.status, STATUS_KIND[expired ? "Expired" : t.status] || "muted")),
    h("td", {}, t.expiry_date ? fmt.time(t.expiry_date) : "never"),
    h("td", {}, t.parent_id_token || "–"),
    h("td", {}, t.token_type || "–"),
    block,
  );
  applyRole(tr, role);
  return tr;
}

async function refresh() {
  const page = await apiPage(TOKENS, { q: state.q, status: state.status, limit: PAGE_SIZE, offset: state.offset });
  fill($("#tokens tbody"), page.items.map(row));
  $("#empty").hidden = page.items.length !== 0;
  $("#count").textContent = `${page.total.toLocaleString()} token${page.total === 1 ? "" : "s"}`;
  renderPager($("#pager"), page, (offset) => {
    state.offset = offset;
    writeQueryState(state);
    refresh();
  });
}

async function blockToken(idToken) {
  try {
    await api(`${TOKENS}/${encodeURIComponent(idToken)}/block`, { method: "POST" });
    toast(`${idToken} is blocked`, "ok");
  } catch (error) {
    toast(`Cannot block ${idToken}: ${error.message}`, "bad");
  }
  await refresh();
}

role = (await initLayout()).role;
const form = $("#token-add");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    const body = {
      id_token: values.id_token.trim(),
      status: values.status,
      expiry_date: values.expiry_date ? new Date(values.expiry_date).toISOString() : null,
      parent_id_token: values.parent_id_token.trim() || null,
    };
    const error = $("#token-add-error");
    error.hidden = true;
    try {
      await api(TOKENS, { method: "POST", body });
      toast(`${body.id_token} added`, "ok");
      form.reset();
      await refresh();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
}
bindFilters($("#filters"), state, () => {
  writeQueryState(state);
  refresh();
});
await refresh();
// Everything is wired: tests (and scripts) may click from here on.
document.body.dataset.ready = "true";
