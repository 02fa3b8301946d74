// Log in: trade a user name and password (or an API key) for the session cookie, then go where
// the user was going. Single sign-on goes through /auth/oidc/login and comes back here only on
// failure, with ?error=.

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

function show(message) {
  error.textContent = message;
  error.hidden = false;
}

const problem = new URLSearchParams(location.search).get("error");
if (problem) show(problem);

const sso = document.getElementById("login-oidc");
if (sso) sso.href = `/auth/oidc/login?next=${encodeURIComponent(target())}`;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const apiKey = form.elements.api_key.value.trim();
  const credentials = apiKey
    ? { api_key: apiKey }
    : { user: form.elements.user.value.trim(), password: form.elements.password.value };
  if (!apiKey && (!credentials.user || !credentials.password)) {
    show("Give a user name and password, or an API key.");
    return;
  }
  try {
    await logIn(credentials);
    location.assign(target());
  } catch (failure) {
    show(
      failure instanceof ApiError && failure.status === 401
        ? apiKey
          ? "This API key is not valid."
          : "Wrong user name or password."
        : `Cannot log in: ${failure.message}`,
    );
  }
});

// The button stays disabled until this module runs, so the key is never sent as a plain form.
submit.disabled = false;
