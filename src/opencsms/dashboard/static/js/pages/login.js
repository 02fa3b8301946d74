// Log in: trade an API key for the session cookie, then go where the user was going.

import { ApiError } from "../api.js";
import { logIn } from "../auth.js";

const form = document.getElementById("login");
const error = document.getElementById("login-error");
const submit = form.querySelector("button[type=submit]");

function target() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // Only paths of this site: never an open redirect.
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  try {
    await logIn(form.elements.api_key.value.trim());
    location.assign(target());
  } catch (failure) {
    error.textContent =
      failure instanceof ApiError && failure.status === 401
        ? "This API key is not valid."
        : `Cannot log in: ${failure.message}`;
    error.hidden = false;
  }
});

// The button stays disabled until this module runs, so the key is never sent as a plain form.
submit.disabled = false;
