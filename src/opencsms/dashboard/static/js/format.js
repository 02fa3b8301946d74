// How numbers and times read on the dashboard.

const number = (value, digits) =>
  value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Watts as "950 W", "7.4 kW", "1.25 MW". */
export function power(watts) {
  if (watts === null || watts === undefined || Number.isNaN(watts)) return "–";
  if (Math.abs(watts) >= 1e6) return `${number(watts / 1e6, 2)} MW`;
  if (Math.abs(watts) >= 1000) return `${number(watts / 1000, 1)} kW`;
  return `${number(watts, 0)} W`;
}

/** Watt-hours as "420 Wh", "12.3 kWh", "4.56 MWh". */
export function energy(wattHours) {
  if (wattHours === null || wattHours === undefined || Number.isNaN(wattHours)) return "–";
  if (Math.abs(wattHours) >= 1e6) return `${number(wattHours / 1e6, 2)} MWh`;
  if (Math.abs(wattHours) >= 1000) return `${number(wattHours / 1000, 2)} kWh`;
  return `${number(wattHours, 0)} Wh`;
}

const pad = (n) => String(n).padStart(2, "0");

/** An ISO time as local "2026-12-02 17:45:03" ("–" when absent). */
export function time(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A local clock time "17:45:03". */
export function clock(date) {
  const d = date instanceof Date ? date : new Date(date);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Milliseconds as "45 s", "12 min", "3 h 05 min", "2 d 4 h". */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${pad(s % 60)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${pad(m % 60)} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** How long ago an ISO time was: "12 s ago", "3 min ago". */
export function ago(iso) {
  if (!iso) return "never";
  const ms = Date.now() - new Date(iso).getTime();
  if (ms < 5000) return "just now";
  return `${duration(ms).split(" ").slice(0, 2).join(" ")} ago`;
}

/** The operator's midnight as ISO 8601 (what "today" means on the overview). */
export function localMidnight() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}
