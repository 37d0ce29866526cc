/* The desktop's callback panes: My agenda (with due reminders), Missed calls (callback requests
   above abandoned calls, voice messages) and the Agenda dialog of wrap-up. Lists come from the API
   on every (re)connect and change with the `callback` and `callback_reminder` pushes. */
"use strict";

const DeskCallbacks = (() => {
  /** callback kinds a customer asked for: on top of Missed calls, and news when one arrives */
  const REQUEST_KINDS = new Set(["ivr", "web", "in_queue"]);
  const MISSED_KINDS = new Set([...REQUEST_KINDS, "abandoned"]);
  const AGENDA_KINDS = new Set(["personal", "global", "agent_initiated"]);
  const OPEN = new Set(["pending", "no_answer", "offered", "dialing", "connected"]);
  const WAITING = new Set(["pending", "no_answer"]);
  /** a callback's number: the controller's rule (controller/callbacks/numbers.py) */
  const MIN_CUSTOMER_DIGITS = 7;
  const MAX_NOTICES = 4;
  const STATUS = {
    pending: "", no_answer: "No answer – tries again", offered: "Offered to an agent",
    dialing: "Being called", connected: "Connected",
  };

  const $ = (id) => document.getElementById(id);
  const lists = { missed: new Map(), agenda: new Map() };
  const dismissed = new Set(); // reminders and requests this page was told about and closed
  let host = null; // what desktop.js lends: agentId, agent(), busyWithCall(), showError, clearError, refresh
  let loading = 0;

  // ---- times and zones ----
  const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  function validZone(zone) {
    if (!zone || !/^[A-Za-z][A-Za-z0-9_+\-/]{1,63}$/.test(zone)) return false;
    try { new Intl.DateTimeFormat("en-US", { timeZone: zone }); return true; } catch (err) { return false; }
  }
  /** the wall clock of `zone` at `ms`: {date: "YYYY-MM-DD", time: "HH:MM"} */
  function wallClock(ms, zone) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
  }
  function zoneOffset(zone, ms) {
    const w = wallClock(ms, zone);
    const [y, m, d] = w.date.split("-").map(Number), [hh, mm] = w.time.split(":").map(Number);
    return Date.UTC(y, m - 1, d, hh, mm) - Math.floor(ms / 60000) * 60000;
  }
  /** the UTC moment (ms) of a date and time on the wall clock of `zone` */
  function zonedToUtc(date, time, zone) {
    const [y, m, d] = date.split("-").map(Number), [hh, mm] = time.split(":").map(Number);
    const guess = Date.UTC(y, m - 1, d, hh, mm);
    return guess - zoneOffset(zone, guess - zoneOffset(zone, guess));
  }
  function when(cb) {
    const ms = SD.parseTime(cb.due_at);
    if (ms === null) return "–";
    const mine = new Date(ms).toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    if (!cb.time_zone || cb.time_zone === browserZone()) return mine;
    return `${mine} (${wallClock(ms, cb.time_zone).time} ${cb.time_zone})`;
  }
  function ago(value) {
    const seconds = SD.since(value);
    if (seconds === null) return "";
    if (seconds < 60) return "just now";
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    return new Date(SD.parseTime(value)).toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  // ---- the lists ----
  const isMine = (cb) => !!cb.owner && String(cb.owner.id) === String(host.agentId);
  function belongs(name, cb) {
    if (!OPEN.has(cb.status)) return false;
    if (name === "missed") return MISSED_KINDS.has(cb.kind);
    return AGENDA_KINDS.has(cb.kind) && (cb.kind === "global" || isMine(cb));
  }
  /** Put `cb` in the lists it belongs to, unless the page already has a newer copy. */
  function take(cb) {
    let changed = false;
    for (const name of ["missed", "agenda"]) {
      const list = lists[name], had = list.get(cb.id);
      if (had && (SD.parseTime(had.updated_at) || 0) > (SD.parseTime(cb.updated_at) || 0)) continue;
      if (belongs(name, cb)) list.set(cb.id, cb); else if (had) list.delete(cb.id); else continue;
      changed = true;
    }
    return changed;
  }

  const requestFirst = (a, b) => (a.kind === "abandoned") - (b.kind === "abandoned") ||
    (SD.parseTime(b.created_at) || 0) - (SD.parseTime(a.created_at) || 0);
  const byDue = (a, b) => (SD.parseTime(a.due_at) || 0) - (SD.parseTime(b.due_at) || 0);

  /** Read both lists again (every connect: the pushes missed while offline are in them). */
  async function load() {
    const started = Date.now();
    loading += 1;
    const [missed, agenda] = await Promise.all([SD.api("GET", "/api/callbacks?view=missed"),
      SD.api("GET", "/api/callbacks?view=agenda")]);
    loading -= 1;
    for (const [name, result] of [["missed", missed], ["agenda", agenda]]) {
      if (!result.ok) { host.showError(result.data.error); continue; }
      const fresh = new Map((result.data.callbacks || []).filter((cb) => belongs(name, cb)).map((cb) => [cb.id, cb]));
      // a push that arrived while the list was read is newer than the list
      for (const [id, cb] of lists[name]) {
        const mine = fresh.get(id), pushedMeanwhile = (SD.parseTime(cb.updated_at) || 0) > started - 1000;
        if (mine ? (SD.parseTime(cb.updated_at) || 0) > (SD.parseTime(mine.updated_at) || 0) : pushedMeanwhile) {
          if (belongs(name, cb)) fresh.set(id, cb);
        }
      }
      lists[name] = fresh;
    }
    // a reminder that fell due while this page was away is still due
    for (const cb of lists.agenda.values()) if (isDueReminder(cb)) remind(cb);
    render();
  }

  const isDueReminder = (cb) => cb.launch === "owner" && cb.status === "offered" && isMine(cb);

  // ---- notices (reminders, new callback requests) ----
  function notice(key, { kind, text, detail, action, role }) {
    const box = $("notices");
    if (dismissed.has(key) || box.querySelector(`[data-key="${CSS.escape(key)}"]`)) return;
    const close = SD.el("button", { type: "button", class: "btn btn-quiet notice-close", "aria-label": "Dismiss" }, "×");
    const item = SD.el("div", { class: `notice notice-${kind}`, role: role || "status", dataset: { key } },
      SD.el("span", { class: "notice-text" }, SD.el("strong", {}, text), detail ? " " + detail : ""));
    if (action) {
      const button = SD.el("button", { type: "button", class: "btn btn-primary notice-action" }, action.label);
      button.addEventListener("click", () => action.run(button));
      item.append(button);
    }
    item.append(close);
    close.addEventListener("click", () => { dismissed.add(key); item.remove(); });
    box.prepend(item);
    while (box.childElementCount > MAX_NOTICES) box.lastElementChild.remove();
  }
  function dropNotice(key) {
    const node = $("notices").querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (node) node.remove();
  }
  const who = (cb) => [cb.name, cb.number].filter(Boolean).join(" ");

  function remind(cb) {
    notice(`reminder-${cb.id}`, {
      kind: "reminder", role: "alert", text: `Agenda: call ${who(cb)} now.`,
      detail: cb.note ? `Reason: ${cb.note}` : "",
      action: { label: "Call now", run: (button) => callBack(cb.id, button) },
    });
  }
  function announce(cb) {
    const what = cb.has_message ? "New voice message" : "New callback request";
    notice(`request-${cb.id}`, {
      kind: "request", text: `${what} from ${who(cb)}`, detail: cb.queue ? `(${cb.queue}).` : "",
      action: { label: "Show", run: () => { const n = $("missed-" + cb.id); if (n) { n.scrollIntoView({ block: "nearest" }); n.focus(); } } },
    });
  }

  // ---- pushes ----
  function pushed(cb) {
    const isNew = !lists.missed.has(cb.id);
    if (!take(cb)) { render(); return; }
    // news: a callback request that just arrived; an abandoned call or an update is not
    if (cb.notify && isNew && REQUEST_KINDS.has(cb.kind) && lists.missed.has(cb.id)) announce(cb);
    if (!OPEN.has(cb.status)) { dropNotice(`reminder-${cb.id}`); dropNotice(`request-${cb.id}`); }
    render();
  }
  function reminded(cb) {
    take(cb);
    remind(cb);
    render();
  }

  // ---- actions ----
  async function callBack(id, button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const result = await SD.api("POST", `/api/callbacks/${encodeURIComponent(id)}/call`);
    button.removeAttribute("aria-busy");
    if (result.ok) {
      host.clearError();
      dropNotice(`reminder-${id}`);
      dropNotice(`request-${id}`);
      host.refresh();
    } else host.showError(result.data.error);
    render();
  }
  async function cancel(id, button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const result = await SD.api("POST", `/api/callbacks/${encodeURIComponent(id)}/cancel`);
    button.removeAttribute("aria-busy");
    if (result.ok) { host.clearError(); if (result.data.callback) take(result.data.callback); } else host.showError(result.data.error);
    render();
  }

  // ---- rendering ----
  const busy = (b) => b.getAttribute("aria-busy") === "true";
  const nodes = new Map();

  function item(cb, list) {
    const key = `${list}-${cb.id}`;
    let node = nodes.get(key);
    if (!node) {
      node = SD.el("li", { class: "cb-item", id: key, tabindex: "-1", dataset: { callbackId: cb.id } },
        SD.el("div", { class: "cb-line" }, SD.el("span", { class: "cb-kind" }), SD.el("span", { class: "cb-who" }),
          SD.el("span", { class: "cb-when" })),
        SD.el("div", { class: "cb-detail" }),
        SD.el("div", { class: "cb-actions" },
          SD.el("button", { type: "button", class: "btn btn-primary cb-call" }, "Call back")));
      node.querySelector(".cb-call").addEventListener("click", (e) => callBack(cb.id, e.currentTarget));
      if (list === "agenda") {
        const drop = SD.el("button", { type: "button", class: "btn cb-cancel" }, "Cancel");
        drop.addEventListener("click", (e) => cancel(cb.id, e.currentTarget));
        node.querySelector(".cb-actions").append(drop);
      }
      nodes.set(key, node);
    }
    node.dataset.kind = cb.kind;
    node.dataset.status = cb.status;
    const kind = node.querySelector(".cb-kind");
    const due = list === "agenda" && (isDueReminder(cb) ||
      (WAITING.has(cb.status) && (SD.parseTime(cb.due_at) || Infinity) <= Date.now()));
    node.classList.toggle("cb-due", due);
    if (list === "missed") {
      kind.textContent = cb.has_message ? "Voice message" : REQUEST_KINDS.has(cb.kind) ? "Callback request" : "Abandoned";
      node.querySelector(".cb-when").textContent = ago(cb.created_at);
    } else {
      kind.textContent = due ? "Due now" : cb.kind === "global" ? "Campaign" : "Agenda";
      node.querySelector(".cb-when").textContent = when(cb);
    }
    node.querySelector(".cb-who").textContent = who(cb) || "Unknown";
    const detail = node.querySelector(".cb-detail");
    // a reminder that was sent is "Due now" (its status says it was offered to its owner)
    const status = isDueReminder(cb) ? "" : STATUS[cb.status] || "";
    const facts = [cb.queue, list === "agenda" ? cb.note : cb.note && cb.note !== "voice message" ? cb.note : "",
      status, cb.attempts ? `${cb.attempts} of ${cb.max_attempts} attempts` : ""].filter(Boolean);
    detail.textContent = facts.join(" · ");
    // a voice message plays in the page (the controller streams it to signed-in agents of the queue)
    let audio = node.querySelector("audio");
    if (cb.message_url && !audio) {
      audio = SD.el("audio", { controls: "", preload: "none", src: cb.message_url, class: "cb-audio",
        "aria-label": `Voice message from ${who(cb) || "the caller"}` });
      node.insertBefore(audio, node.querySelector(".cb-actions"));
    } else if (!cb.message_url && audio) audio.remove();
    const call = node.querySelector(".cb-call");
    // the campaign dials a global callback by itself; the rest can be called by whoever sees them
    call.hidden = cb.kind === "global";
    const offline = document.body.classList.contains("offline");
    const callable = WAITING.has(cb.status) || (cb.status === "offered" && isDueReminder(cb));
    call.disabled = offline || busy(call) || !callable || !host.canDial();
    call.title = !callable ? (STATUS[cb.status] || "") : host.canDial() ? "" : "Choose Available or Idle, with no call, to call back.";
    call.setAttribute("aria-label", `Call back ${who(cb)}`);
    const drop = node.querySelector(".cb-cancel");
    if (drop) {
      drop.hidden = cb.kind === "global";
      drop.disabled = offline || busy(drop) || !(WAITING.has(cb.status) || cb.status === "offered");
      drop.setAttribute("aria-label", `Cancel the callback to ${who(cb)}`);
    }
    return node;
  }

  function renderList(name, sort) {
    const items = [...lists[name].values()].sort(sort);
    const box = $(`${name}-list`);
    const wanted = items.map((cb) => item(cb, name));
    if (box.childElementCount !== wanted.length || wanted.some((n, i) => box.children[i] !== n)) box.replaceChildren(...wanted);
    for (const key of [...nodes.keys()]) if (key.startsWith(name + "-") && !lists[name].has(Number(key.split("-")[1]))) nodes.delete(key);
    $(`${name}-empty`).hidden = items.length > 0 || loading > 0;
    $(`${name}-count`).textContent = items.length ? `(${items.length})` : "";
    return items;
  }

  function render() {
    if (!host) return;
    renderList("agenda", byDue);
    const missed = renderList("missed", requestFirst);
    const requests = missed.filter((cb) => cb.kind !== "abandoned").length;
    $("missed-requests").textContent = requests ? `${requests} callback request${requests > 1 ? "s" : ""}` : "";
    $("missed-requests").hidden = !requests;
  }

  // ---- the Agenda dialog (wrap-up) ----
  const form = { call: null, defaults: null };

  function agendaMessage(text) {
    const node = $("agenda-message");
    node.textContent = text || "";
    node.hidden = !text;
  }

  async function openAgenda(call) {
    const dialog = $("agenda-dialog");
    form.call = call;
    agendaMessage("");
    const result = await SD.api("GET", `/api/calls/${encodeURIComponent(call.id)}/agenda`);
    if (!result.ok) { host.showError(result.data.error); return; }
    const d = form.defaults = result.data;
    const zone = d.time_zone && validZone(d.time_zone) ? d.time_zone : browserZone();
    // by default: the next full hour on the customer's clock
    const next = wallClock(Date.now() + 3600 * 1000, zone);
    $("agenda-number").value = d.number || "";
    $("agenda-date").value = next.date;
    $("agenda-date").min = wallClock(Date.now(), zone).date;
    $("agenda-time").value = next.time.slice(0, 3) + "00";
    $("agenda-zone").value = zone;
    $("agenda-zone-hint").textContent = d.time_zone ? `The customer's time zone (from their number): ${d.time_zone}.`
      : `Your time zone; the customer's number does not tell theirs.`;
    $("agenda-reason").value = "";
    $("agenda-scope-personal").checked = true;
    const global = (d.scopes || []).includes("global");
    $("agenda-scope-global-item").hidden = !global;
    $("agenda-scope-global").disabled = !global;
    $("agenda-queue").textContent = d.queue || "–";
    if (!dialog.open) dialog.showModal();
    $("agenda-date").focus();
  }

  /** The form's values for POST /api/agenda, or {error}: the same rules as the controller's. */
  function agendaBody() {
    const number = $("agenda-number").value.trim(), date = $("agenda-date").value, time = $("agenda-time").value;
    const zone = $("agenda-zone").value.trim(), reason = $("agenda-reason").value.trim();
    if (!number) return { error: "Type the number to call back.", field: "agenda-number" };
    if (/\p{L}/u.test(number)) {
      const letter = [...number].find((c) => /\p{L}/u.test(c));
      return { error: `Letters are not allowed in a number (found '${letter}'): type the digits.`, field: "agenda-number" };
    }
    const digits = number.replace(/[\s().\-/]/g, "");
    if (!/^\+?[0-9]+$/.test(digits)) return { error: "A number to call back has only digits (and + first).", field: "agenda-number" };
    if (digits.replace(/^\+/, "").length < MIN_CUSTOMER_DIGITS) {
      return { error: `${digits} cannot be called back: give a full phone number.`, field: "agenda-number" };
    }
    if (!/^\d{4}-\d\d-\d\d$/.test(date)) return { error: "Choose the date of the callback.", field: "agenda-date" };
    if (!/^\d\d:\d\d$/.test(time)) return { error: "Choose the time of the callback (HH:MM).", field: "agenda-time" };
    if (!validZone(zone)) return { error: `'${zone}' is not a time zone (use names like Europe/Paris).`, field: "agenda-zone" };
    if (zonedToUtc(date, time, zone) < Date.now() - 60 * 1000) {
      return { error: `${date} ${time} (${zone}) has already passed.`, field: "agenda-date" };
    }
    if (reason.length > 256) return { error: `The reason is ${reason.length} characters long; the limit is 256.`, field: "agenda-reason" };
    const scope = $("agenda-scope-global").checked ? "global" : "personal";
    return { body: { number: digits, date, time, time_zone: zone, reason, scope, contact_id: form.call.id } };
  }

  async function saveAgenda(event) {
    event.preventDefault();
    const button = $("agenda-save");
    if (busy(button) || !form.call) return;
    const checked = agendaBody();
    if (checked.error) { agendaMessage(checked.error); $(checked.field).focus(); return; }
    agendaMessage("");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const result = await SD.api("POST", "/api/agenda", checked.body);
    if (!result.ok) {
      button.removeAttribute("aria-busy");
      button.disabled = false;
      agendaMessage(result.data.error); // nothing was scheduled: the controller's sentence
      return;
    }
    const cb = result.data.callback;
    take(cb);
    // the disposition of the call: Agenda (when its wrap-up is still on)
    const agent = host.agent();
    if (agent && agent.state === "wrap_up") {
      const done = await SD.api("POST", `/api/calls/${encodeURIComponent(form.call.id)}/wrapup`, { reason: "Agenda" });
      if (!done.ok) host.showError(done.data.error);
    }
    button.removeAttribute("aria-busy");
    button.disabled = false;
    $("agenda-dialog").close();
    notice(`scheduled-${cb.id}`, { kind: "done", text: "Agenda saved:", detail: `${who(cb)}, ${when(cb)}.` });
    render();
  }

  function init(lent) {
    host = lent;
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    $("time-zones").replaceChildren(...zones.map((z) => SD.el("option", { value: z })));
    $("agenda-form").addEventListener("submit", saveAgenda);
    $("agenda-cancel").addEventListener("click", () => $("agenda-dialog").close());
    for (const id of ["agenda-number", "agenda-date", "agenda-time", "agenda-zone", "agenda-reason"]) {
      $(id).addEventListener("input", () => agendaMessage(""));
    }
    setInterval(render, 30 * 1000); // "Due now" and "5 min ago" move without a push
  }

  return { init, load, pushed, reminded, render, openAgenda, zonedToUtc, validZone };
})();
