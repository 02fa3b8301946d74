// What every page shares: who is logged in, role-dependent parts, toasts, the pager.

import { $$, fill, h } from "./dom.js";
import { allows, logOut, whoami } from "./auth.js";

/**
 * Show the user, wire "Log out", and apply the role: elements marked data-requires="operator"
 * are removed for viewers (they see no command forms) and shown to the others.
 * Resolves to the principal {name, role}.
 */
export async function initLayout() {
  const principal = await whoami();
  document.body.dataset.role = principal.role;
  const box = document.getElementById("user-box");
  if (box && !principal.open) {
    document.getElementById("user-name").textContent = principal.name;
    const role = document.getElementById("user-role");
    role.textContent = principal.role;
    role.className = `pill role-${principal.role}`;
    document.getElementById("logout").addEventListener("click", () => logOut());
    box.hidden = false;
  }
  applyRole(document, principal.role);
  return principal;
}

/** Remove what `role` may not use; unhide the rest (call again on content added later). */
export function applyRole(root, role) {
  for (const el of $$("[data-requires]", root)) {
    if (allows(role, el.dataset.requires)) el.hidden = false;
    else el.remove();
  }
}

/** A short message in the corner; `kind`: ok, bad or info. */
export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const note = h("div", { class: `toast ${kind}` }, message);
  box.append(note);
  setTimeout(() => note.remove(), 6000);
}

/** Previous / next links for a page {total, limit, offset}; `go(offset)` loads another page. */
export function renderPager(el, page, go) {
  const { total, limit, offset } = page;
  if (!el) return;
  if (total <= limit && offset === 0) {
    fill(el);
    return;
  }
  const last = Math.max(0, Math.floor((total - 1) / limit) * limit);
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(total, offset + limit);
  const button = (label, target, disabled) =>
    h("button", { type: "button", class: "button small", disabled, onclick: () => go(target) }, label);
  fill(
    el,
    button("« First", 0, offset === 0),
    button("‹ Previous", Math.max(0, offset - limit), offset === 0),
    h("span", { class: "muted" }, `${from}–${to} of ${total.toLocaleString()}`),
    button("Next ›", offset + limit, offset + limit >= total),
    button("Last »", last, offset >= last),
  );
}

/** The page's query string as an object, and a way to write it back without reloading. */
export function queryState(defaults = {}) {
  const params = new URLSearchParams(location.search);
  const state = { ...defaults };
  for (const [name, value] of params) state[name] = value;
  return state;
}

export function writeQueryState(state) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(state)) {
    if (value !== null && value !== undefined && value !== "" && !(name === "offset" && Number(value) === 0)) {
      params.set(name, value);
    }
  }
  const search = params.toString();
  history.replaceState(null, "", search ? `?${search}` : location.pathname);
}

/** Fill a filter form from `state` and call `changed(state)` when the operator edits it. */
export function bindFilters(form, state, changed) {
  for (const input of form.elements) {
    if (input.name && state[input.name] !== undefined) input.value = state[input.name];
  }
  let timer = null;
  const update = () => {
    for (const input of form.elements) if (input.name) state[input.name] = input.value;
    state.offset = 0;
    changed(state);
  };
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    update();
  });
}
