// Building DOM nodes without innerHTML, so station-supplied text can never inject markup.

/**
 * h("a", {href: "/x", class: "link", onclick: fn}, "text", child, [more]) -> HTMLElement.
 * Attributes: `class`, `dataset` (object), `on<event>` (function), `hidden`/`disabled`/`checked`
 * (booleans), anything else via setAttribute (null/undefined/false skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "hidden" || name === "disabled" || name === "checked" || name === "selected") el[name] = Boolean(value);
    else if (name === "value") el.value = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** Replace the children of `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A coloured status pill; `kind` picks the colour (ok, warn, bad, accent, muted). */
export function pill(text, kind = "muted") {
  return h("span", { class: `pill ${kind}` }, text);
}
