// Who is logged in: GET /api/v1/session names the caller and their role.

import { api, ApiError } from "./api.js";

const RANK = { viewer: 1, operator: 2, admin: 3 };

/** Whether `role` has at least the rights of `needed` (viewer < operator < admin). */
export function allows(role, needed) {
  return (RANK[role] || 0) >= (RANK[needed] || 99);
}

/**
 * The caller {name, role}. A server without authentication (no session endpoint) gives an
 * anonymous admin; a missing or expired login sends to the login page.
 */
export async function whoami() {
  try {
    return await api("/api/v1/session");
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
      return { name: null, role: "admin", open: true };
    }
    throw error;
  }
}

/** Start a session with `{user, password}` or `{api_key}`. */
export async function logIn(credentials) {
  return api("/api/v1/session", { method: "POST", body: credentials, loginOn401: false });
}

export async function logOut() {
  try {
    await api("/api/v1/session", { method: "DELETE", loginOn401: false });
  } finally {
    location.assign("/login");
  }
}
