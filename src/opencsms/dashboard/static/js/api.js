// The /api/v1 client: JSON in and out, RFC 9457 problems as ApiError, 401 sends to the login page.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

/** The URL of `path` with the non-empty `params` as query. */
export function apiUrl(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    url.searchParams.set(name, String(value));
  }
  return url.pathname + url.search;
}

export function goToLogin() {
  if (location.pathname === "/login") return;
  const next = location.pathname + location.search + location.hash;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

/**
 * Call the API. Options: method, params (query), body (JSON), loginOn401 (default true).
 * Returns the parsed JSON (null for 204); throws ApiError.
 */
export async function api(path, { method = "GET", params = {}, body, loginOn401 = true, signal } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin", signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(apiUrl(path, params), init);
  if (response.status === 401 && loginOn401 && location.pathname !== "/login") {
    goToLogin();
    // The page is going away: leave the caller waiting rather than fail it.
    return new Promise(() => {});
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      problem = { title: response.statusText };
    }
    throw new ApiError(response.status, problem);
  }
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

/**
 * A list as a page {items, total, limit, offset}. Lists answer pages; a plain array (an
 * older server) is cut here so the pages work either way.
 */
export async function apiPage(path, params = {}) {
  const result = await api(path, { params });
  if (Array.isArray(result)) {
    const offset = Number(params.offset || 0);
    const limit = Number(params.limit || result.length);
    return { items: result.slice(offset, offset + limit), total: result.length, limit, offset };
  }
  return result;
}

/** Send a command to a station; resolves to the station's answer, throws ApiError. */
export function sendCommand(stationId, command, args = {}) {
  return api(`/api/v1/stations/${encodeURIComponent(stationId)}/commands/${command}`, {
    method: "POST",
    body: args,
  });
}
