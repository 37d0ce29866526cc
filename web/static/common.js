/* Shared helpers of the switchdesk pages: API calls, times, labels, the socket. */
"use strict";

const SD = (() => {
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

  /** Call the JSON API. Resolves to {ok, status, data}; never throws for HTTP errors. */
  async function api(method, path, body) {
    const init = {
      method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      return { ok: false, status: 0, data: { error: "The server cannot be reached. Check your connection." } };
    }
    let data = {};
    try { data = await response.json(); } catch (err) { data = {}; }
    if (response.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(location.pathname)); }
    if (!response.ok && !data.error) { data.error = `The server answered ${response.status}.`; }
    return { ok: response.ok, status: response.status, data };
  }

  /** Milliseconds since the epoch from an ISO string (UTC if it names no zone) or epoch seconds. */
  function parseTime(value) {
    if (value === null || value === undefined || value === "") return null;
    if (typeof value === "number") return value > 1e12 ? value : value * 1000;
    const text = /([zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : value + "Z";
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? null : ms;
  }

  /** "m:ss" or "h:mm:ss" for a number of seconds. */
  function duration(seconds) {
    if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
  }

  function since(value) {
    const ms = parseTime(value);
    return ms === null ? null : (Date.now() - ms) / 1000;
  }

  const AGENT_STATES = {
    logged_out: "Logged out", available: "Available", idle: "Idle", ringing: "Ringing",
    on_call: "On call", wrap_up: "Wrap-up", rona: "RONA",
  };
  const CALL_STATES = {
    queued: "Queued", offered: "Ringing", offering: "Ringing", ringing: "Ringing", connecting: "Connecting",
    connected: "Connected", answered: "Connected", on_call: "Connected", bridged: "Connected",
    held: "On hold", on_hold: "On hold", consulting: "Consulting", consult_held: "Consult on hold",
    conference: "Conference", wrap_up: "Wrap-up", ended: "Ended", hungup: "Ended",
  };
  const KINDS = { inbound: "Inbound", outbound: "Outbound", callback: "Callback" };
  const words = (s) => String(s || "").replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  const agentStateLabel = (s) => AGENT_STATES[s] || words(s);
  const callStateLabel = (s) => CALL_STATES[s] || words(s);
  const kindLabel = (k) => KINDS[k] || words(k || "inbound");

  /** Open the Socket.IO connection and show its health in #connection. */
  function connect(handlers) {
    const indicator = document.getElementById("connection");
    const show = (state, text) => {
      if (indicator) { indicator.dataset.state = state; indicator.textContent = text; }
      document.body.classList.toggle("offline", state !== "online");
    };
    const socket = io();
    // the server's first events (the snapshot) are delivered before "connect" fires: the page
    // draws them while still marked offline, so it draws again once it is live
    socket.on("connect", () => {
      show("online", "Live");
      if (handlers.connect) handlers.connect();
    });
    socket.on("disconnect", (reason) => {
      show("offline", "Reconnecting…");
      if (handlers.disconnect) handlers.disconnect(reason);
    });
    socket.on("connect_error", () => {
      // the server refuses a socket without a session: the login page is where to go
      if (!socket.active) { window.location.assign("/login?next=" + encodeURIComponent(location.pathname)); return; }
      show("offline", "Reconnecting…");
    });
    for (const [event, handler] of Object.entries(handlers)) {
      if (event !== "disconnect" && event !== "connect") socket.on(event, handler);
    }
    SD.socket = socket; // for the browser console and the reconnect test
    return socket;
  }

  /** Build an element with attributes and text or element children. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k === "dataset") Object.assign(node.dataset, v); else node.setAttribute(k, v);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  return { socket: null, api, parseTime, duration, since, agentStateLabel, callStateLabel, kindLabel, connect, el };
})();
