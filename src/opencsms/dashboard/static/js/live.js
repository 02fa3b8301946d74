// Live updates: one EventSource on /api/v1/events for the page, handlers per event kind.
//
// Events arrive as {kind, station_id, data}. When the server has no event stream (404) the page
// falls back to polling: handlers get a {kind: "poll"} tick every few seconds, so pages written
// as "refresh on event" stay live either way.

const EVENTS_URL = "/api/v1/events";
const POLL_MS = 3000;
// Named SSE events the server may send (EventSource only reports named events one listens to).
const NAMED_KINDS = [
  "station.booted", "station.connected", "station.disconnected", "station.registered", "station.heartbeat",
  "connector.status", "transaction.started", "transaction.meter", "transaction.updated", "transaction.ended",
  "message.in", "message.out", "message.logged", "security.event", "command.result", "transaction.cost",
];

const handlers = new Set();
let source = null;
let pollTimer = null;
let indicator = null;

function setIndicator(state, text) {
  indicator ||= document.getElementById("live-indicator");
  if (!indicator) return;
  indicator.dataset.state = state;
  indicator.textContent = text;
}

function dispatch(event) {
  for (const handler of handlers) {
    try {
      handler(event);
    } catch (error) {
      console.error("live handler failed", error);
    }
  }
}

function parse(message) {
  let payload = {};
  try {
    payload = JSON.parse(message.data);
  } catch {
    return null;
  }
  if (payload && typeof payload.kind === "string") {
    return { kind: payload.kind, station_id: payload.station_id, data: payload.data || {}, id: message.lastEventId };
  }
  return { kind: message.type, station_id: payload.station_id, data: payload, id: message.lastEventId };
}

function startPolling() {
  if (pollTimer) return;
  setIndicator("polling", "refreshing every 3 s");
  pollTimer = setInterval(() => dispatch({ kind: "poll", data: {} }), POLL_MS);
}

function connect() {
  if (source || typeof EventSource === "undefined") {
    if (!source) startPolling();
    return;
  }
  let opened = false;
  source = new EventSource(EVENTS_URL, { withCredentials: true });
  const onMessage = (message) => {
    const event = parse(message);
    if (event) dispatch(event);
  };
  source.onmessage = onMessage;
  for (const kind of NAMED_KINDS) source.addEventListener(kind, onMessage);
  source.onopen = () => {
    opened = true;
    setIndicator("live", "live");
    if (pollTimer) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
    dispatch({ kind: "reconnected", data: {} });
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      // Refused (no stream on this server, or logged out): poll instead, try the stream again later.
      source = null;
      startPolling();
      setTimeout(connect, opened ? 5000 : 30000);
    } else {
      setIndicator("reconnecting", "reconnecting…");
    }
  };
}

/** Call `handler(event)` for every live event (and poll ticks); returns an unsubscribe function. */
export function onLiveEvent(handler) {
  handlers.add(handler);
  connect();
  return () => handlers.delete(handler);
}

/**
 * Run `refresh()` now and again after matching events, at most once per `minInterval` ms and
 * never two at a time. `matches(event)` picks the events (default: all).
 */
export function liveRefresh(refresh, { matches = () => true, minInterval = 1000 } = {}) {
  let running = false;
  let again = false;
  let last = 0;
  let timer = null;
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    last = Date.now();
    try {
      await refresh();
    } catch (error) {
      console.error("refresh failed", error);
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (timer) return;
    timer = setTimeout(run, Math.max(0, last + minInterval - Date.now()));
  };
  onLiveEvent((event) => {
    if (event.kind === "poll" || event.kind === "reconnected" || matches(event)) schedule();
  });
  run();
  return schedule;
}
