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

  socket = SD.connect({
    supervisor_snapshot(data) {
      view.agents = new Map(data.agents.map((a) => [a.id, a]));
      view.queues = data.queues;
      view.queuesAt = Date.now();
      render();
    },
    agent_state(agent) {
      view.agents.set(agent.id, agent);
      render();
    },
    call: refreshSoon,
    call_ended: refreshSoon,
    queues(data) {
      view.queues = data.queues || data;
      view.queuesAt = Date.now();
      render();
    },
  });
})();
