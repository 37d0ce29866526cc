/* The supervisor page: agents and queues, from Socket.IO pushes only. */
"use strict";

(() => {
  const view = { agents: new Map(), queues: [], queuesAt: Date.now() };
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
      SD.el("td", { class: "num wait", dataset: { wait: q.longest_wait || 0 } }, q.waiting ? SD.duration(q.longest_wait) : "–"))));
  }

  function tick() {
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
    for (const q of view.queues) {
      if (!known.has(q.name)) queuePick.append(SD.el("option", { value: q.name }, q.label || q.name));
    }
  }

  socket = SD.connect({
    supervisor_snapshot(data) {
      view.agents = new Map(data.agents.map((a) => [a.id, a]));
      view.queues = data.queues;
      view.queuesAt = Date.now();
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
    queues(data) {
      view.queues = data.queues || data;
      view.queuesAt = Date.now();
      render();
    },
  });
})();
