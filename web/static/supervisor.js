/* The supervisor page: agents, queues and callbacks pending, from Socket.IO pushes only. */
"use strict";

(() => {
  // callbacks: those not yet served (callback id -> callback), as the snapshot and the `callback` pushes say;
  // `pending`: the snapshot's count per queue, used while the list is cut short (callbacksTotal > listed)
  const view = { agents: new Map(), queues: [], queuesAt: Date.now(), callbacks: new Map(), pending: {}, callbacksTotal: 0 };
  /** statuses of a callback not yet served (controller/callbacks/service.py NOT_YET_SERVED) */
  const NOT_YET_SERVED = new Set(["pending", "no_answer", "offered", "dialing"]);
  const CALLBACK_KINDS = {
    in_queue: "In queue", ivr: "IVR request", web: "Web request", agent_initiated: "Agent's callback",
    abandoned: "Abandoned", personal: "Agenda", global: "Campaign",
  };
  const callbacksBody = document.querySelector("#callbacks-table tbody");
  const callbacksPick = document.getElementById("callbacks-queue");
  const agentsBody = document.querySelector("#agents-table tbody");
  const queuesBody = document.querySelector("#queues-table tbody");
  let socket = null, refreshTimer = null;

  function render() {
    const agents = [...view.agents.values()].sort((a, b) => String(a.name).localeCompare(b.name));
    agentsBody.replaceChildren(...agents.map((a) => SD.el("tr", { dataset: { agentId: a.id, state: a.state } },
      SD.el("td", {}, a.name),
      SD.el("td", {}, a.extension),
      SD.el("td", {}, SD.el("span", { class: "badge", dataset: { state: a.state } }, SD.agentStateLabel(a.state))),
      SD.el("td", {}, a.reason || ""),
      SD.el("td", { class: "num timer", dataset: { since: a.since || "" } }, SD.duration(SD.since(a.since))))));
    queuesBody.replaceChildren(...view.queues.map((q) => SD.el("tr", { dataset: { queue: q.name } },
      SD.el("td", {}, q.name),
      SD.el("td", { class: "num" }, q.waiting),
      SD.el("td", { class: "num wait", dataset: { wait: q.longest_wait || 0 } }, q.waiting ? SD.duration(q.longest_wait) : "–"),
      SD.el("td", { class: "num callbacks-pending" }, pendingIn(q.name)))));
    renderCallbacks();
  }

  // ---- callbacks pending ----
  const listCutShort = () => view.callbacksTotal > view.callbacks.size;
  /** callbacks not yet served in a queue: counted from the list, or the snapshot's figure while it is cut short */
  function pendingIn(queue) {
    if (listCutShort()) return view.pending[queue] || 0;
    let n = 0;
    for (const cb of view.callbacks.values()) if (cb.queue === queue) n += 1;
    return n;
  }
  const byDue = (a, b) => (SD.parseTime(a.due_at) || 0) - (SD.parseTime(b.due_at) || 0) || a.id - b.id;

  function callbackStatus(cb) {
    const agent = cb.agent_id ? view.agents.get(cb.agent_id) : null;
    if (cb.status === "offered") {
      if (cb.launch === "owner") return `Reminding ${cb.owner ? cb.owner.name : "its owner"}`;
      if (cb.launch === "campaign") return "Back in the campaign's list";
      return agent ? `Offered to ${agent.name}` : "Offered to an agent";
    }
    if (cb.status === "dialing") return agent ? `Being called for ${agent.name}` : "Being called";
    if (cb.status === "no_answer") return "No answer – tries again";
    if (cb.launch === "owner" && cb.owner) return `Waiting (${cb.owner.name}'s agenda)`;
    return cb.launch === "manual" ? "Waiting for an agent to call back" : "Waiting";
  }

  function dueText(cb) {
    const ms = SD.parseTime(cb.due_at);
    if (ms === null) return "–";
    if (ms <= Date.now()) return "Due now";
    const sameDay = new Date(ms).toDateString() === new Date().toDateString();
    return new Date(ms).toLocaleString([], sameDay ? { hour: "2-digit", minute: "2-digit" }
      : { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  function renderCallbacks() {
    const queue = callbacksPick.value;
    const rows = [...view.callbacks.values()].filter((cb) => !queue || cb.queue === queue).sort(byDue);
    callbacksBody.replaceChildren(...rows.map((cb) => {
      const due = dueText(cb);
      return SD.el("tr", { dataset: { callbackId: cb.id, status: cb.status, kind: cb.kind, queue: cb.queue || "" } },
        SD.el("td", { class: "sv-cb-kind" }, CALLBACK_KINDS[cb.kind] || cb.kind),
        SD.el("td", { class: "sv-cb-number" }, cb.number, ...(cb.name ? [SD.el("span", { class: "sv-cb-name" }, cb.name)] : [])),
        SD.el("td", { class: "sv-cb-queue" }, cb.queue || "–"),
        SD.el("td", { class: "sv-cb-due" + (due === "Due now" ? " sv-cb-due-now" : ""), dataset: { due: cb.due_at || "" } }, due),
        SD.el("td", { class: "sv-cb-status" }, callbackStatus(cb)),
        SD.el("td", { class: "num sv-cb-attempts" }, `${cb.attempts} of ${cb.max_attempts}`));
    }));
    const total = listCutShort() ? view.callbacksTotal : view.callbacks.size;
    document.getElementById("callbacks-count").textContent = total ? `(${total})` : "";
    document.getElementById("callbacks-empty").hidden = rows.length > 0;
    const more = document.getElementById("callbacks-more");
    more.hidden = !listCutShort();
    more.textContent = listCutShort() ? `The ${view.callbacks.size} due soonest of ${view.callbacksTotal}.` : "";
  }

  function takeCallback(cb) {
    if (NOT_YET_SERVED.has(cb.status)) view.callbacks.set(cb.id, cb); else view.callbacks.delete(cb.id);
    // the counts of a list that is cut short are the snapshot's: read them again
    if (listCutShort()) refreshSoon();
    render();
  }
  callbacksPick.addEventListener("change", renderCallbacks);

  function tick() {
    for (const cell of callbacksBody.querySelectorAll("td.sv-cb-due")) {
      if (cell.textContent !== "Due now" && (SD.parseTime(cell.dataset.due) || Infinity) <= Date.now()) {
        cell.textContent = "Due now";
        cell.classList.add("sv-cb-due-now");
      }
    }
    for (const cell of agentsBody.querySelectorAll("td.timer")) cell.textContent = SD.duration(SD.since(cell.dataset.since));
    const drift = (Date.now() - view.queuesAt) / 1000;
    for (const cell of queuesBody.querySelectorAll("td.wait")) {
      const wait = Number(cell.dataset.wait);
      if (wait > 0) cell.textContent = SD.duration(wait + drift);
    }
  }
  setInterval(tick, 1000);

  // queue figures change with every call event: ask for a fresh snapshot, at most a few times a second
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; if (socket) socket.emit("supervisor_refresh"); }, 300);
  }

  // ---- the last hour: read from the database, again every 30 s and soon after calls change ----
  const activityBody = document.querySelector("#activity-table tbody");
  const queuePick = document.getElementById("activity-queue");
  let activitySoon = null, activityLoading = false, activityAgain = false;

  async function loadActivity() {
    if (activityLoading) { activityAgain = true; return; } // once more when this one is done
    activityLoading = true;
    const queue = queuePick.value;
    const result = await SD.api("GET", "/api/supervisor/activity" + (queue ? "?queue=" + encodeURIComponent(queue) : ""));
    activityLoading = false;
    if (activityAgain) { activityAgain = false; loadActivity(); return; }
    const error = document.getElementById("activity-error");
    error.hidden = result.ok;
    if (!result.ok) { error.textContent = result.data.error; return; }
    SDChart.activity(document.getElementById("activity-chart"), result.data);
    activityBody.replaceChildren(...result.data.buckets.map((b) => SD.el("tr", { dataset: { start: b.start } },
      SD.el("td", {}, new Date(SD.parseTime(b.start)).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })),
      SD.el("td", { class: "num f-offered" }, b.offered),
      SD.el("td", { class: "num f-answered" }, b.answered),
      SD.el("td", { class: "num f-callback-requested" }, b.callback_requested),
      SD.el("td", { class: "num f-abandoned" }, b.abandoned),
      SD.el("td", { class: "num f-waiting" }, b.waiting),
      SD.el("td", { class: "num f-avg-wait" }, SD.duration(b.avg_wait)),
      SD.el("td", { class: "num f-max-wait" }, SD.duration(b.max_wait)))));
    document.getElementById("activity-updated").textContent =
      "Updated " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function activityAfterCalls() {
    if (activitySoon) return;
    activitySoon = setTimeout(() => { activitySoon = null; loadActivity(); }, 2000);
  }
  queuePick.addEventListener("change", loadActivity);
  loadActivity();
  setInterval(loadActivity, 30000);

  function fillQueuePick() {
    const known = new Set([...queuePick.options].map((o) => o.value));
    const knownToo = new Set([...callbacksPick.options].map((o) => o.value));
    for (const q of view.queues) {
      if (!known.has(q.name)) queuePick.append(SD.el("option", { value: q.name }, q.label || q.name));
      if (!knownToo.has(q.name)) callbacksPick.append(SD.el("option", { value: q.name }, q.label || q.name));
    }
  }

  socket = SD.connect({
    supervisor_snapshot(data) {
      view.agents = new Map(data.agents.map((a) => [a.id, a]));
      view.queues = data.queues;
      view.queuesAt = Date.now();
      // a (re)connect replaces the callbacks too: what changed while the page was offline is in it
      view.callbacks = new Map((data.callbacks || []).map((cb) => [cb.id, cb]));
      view.pending = data.callbacks_pending || {};
      view.callbacksTotal = data.callbacks_total ?? view.callbacks.size;
      fillQueuePick();
      render();
      activityAfterCalls(); // also after a reconnect: what happened meanwhile
    },
    agent_state(agent) {
      view.agents.set(agent.id, agent);
      render();
    },
    // a call's change is also a change of the hour's figures (an arrival, an answer, a hang-up)
    call() { refreshSoon(); activityAfterCalls(); },
    call_ended() { refreshSoon(); activityAfterCalls(); },
    callback(cb) { takeCallback(cb); },
    queues(data) {
      view.queues = data.queues || data;
      view.queuesAt = Date.now();
      render();
    },
  });
})();
