/* The agent desktop. What it shows comes only from Socket.IO pushes; clicks go to the API. */
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("desktop-config").textContent);
  // call states in which the contact is being offered to the agent (the popover), not yet worked
  const OFFER_STATES = new Set(["queued", "offered", "offering", "ringing", "connecting", "alerting", "routing"]);

  // `ended` holds the call that just ended while its agent wraps it up
  const view = { agent: null, calls: new Map(), ended: null };
  const $ = (id) => document.getElementById(id);
  const badge = $("state-badge"), since = $("state-since");
  const select = $("state-select"), apply = $("state-apply");
  const offersBox = $("offers"), callsBox = $("interaction-calls"), empty = $("interaction-empty");
  const alerts = $("alerts");
  const offerNodes = new Map(), callNodes = new Map();

  // ---- menus that do not change during the shift ----
  const idleGroup = $("idle-reasons");
  for (const reason of config.idle_reasons) {
    idleGroup.append(SD.el("option", { value: "idle:" + reason }, `Idle – ${reason}`));
  }

  // ---- messages ----
  function showError(message) {
    const item = SD.el("p", { class: "alert" }, message,
      SD.el("button", { type: "button", class: "btn btn-quiet alert-close", "aria-label": "Dismiss" }, "×"));
    item.querySelector("button").addEventListener("click", () => item.remove());
    alerts.replaceChildren(item);
  }
  const clearError = () => alerts.replaceChildren();

  async function act(button, method, path, body) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const result = await SD.api(method, path, body);
    button.removeAttribute("aria-busy");
    if (result.ok) clearError(); else showError(result.data.error);
    render(); // re-enables what the (possibly unchanged) state allows
    return result;
  }

  // ---- state changes chosen by the agent ----
  for (const button of document.querySelectorAll("#rona [data-state]")) {
    button.addEventListener("click", () =>
      act(button, "POST", "/api/agent/state", { state: button.dataset.state, reason: button.dataset.reason || "" }));
  }

  apply.addEventListener("click", () => {
    const choice = select.value;
    const [state, reason] = choice.startsWith("idle:") ? ["idle", choice.slice(5)] : [choice, ""];
    act(apply, "POST", "/api/agent/state", { state, reason });
  });

  function reflectSelection(agent) {
    const value = agent.state === "idle" ? "idle:" + agent.reason : agent.state;
    if ([...select.options].some((o) => o.value === value)) select.value = value;
  }

  // ---- rendering ----
  function mine(call) { return String(call.agent_id) === String(config.agent_id); }
  function isOffer(call) { return OFFER_STATES.has(call.state); }
  function allows(call, ...actions) { return actions.some((a) => (call.allowed || []).includes(a)); }

  function fillFacts(node, call) {
    node.querySelector(".f-queue").textContent = call.queue || "–";
    node.querySelector(".f-ani").textContent = call.ani || "Unknown";
    node.querySelector(".f-dnis").textContent = call.dnis || "–";
    node.querySelector(".f-kind").textContent = SD.kindLabel(call.kind);
  }

  const connectingCard = SD.el("article", { class: "offer offer-connecting", id: "offer-connecting", role: "status" },
    SD.el("h3", { class: "offer-title" }, "Connecting a contact…"));

  function renderOffer(call) {
    let node = offerNodes.get(call.id);
    if (!node) {
      node = document.getElementById("offer-template").content.firstElementChild.cloneNode(true);
      node.id = "offer-" + call.id;
      node.dataset.callId = call.id;
      node.setAttribute("aria-labelledby", node.id + "-title");
      node.querySelector(".offer-title").id = node.id + "-title";
      offerNodes.set(call.id, node);
    }
    node.dataset.kind = call.kind || "inbound";
    const kind = node.querySelector(".offer-kind");
    kind.textContent = call.kind === "callback" ? "Callback" : "";
    kind.hidden = call.kind !== "callback";
    node.querySelector(".offer-title").textContent =
      `${SD.kindLabel(call.kind)} contact${call.queue ? " from " + call.queue : ""}`;
    fillFacts(node, call);
    return node;
  }

  function renderCall(call) {
    let node = callNodes.get(call.id);
    if (!node) {
      node = document.getElementById("call-template").content.firstElementChild.cloneNode(true);
      node.id = "call-" + call.id;
      node.dataset.callId = call.id;
      node.querySelector(".act-hangup").addEventListener("click", (e) =>
        act(e.currentTarget, "POST", `/api/calls/${encodeURIComponent(call.id)}/hangup`));
      node.querySelector(".act-wrapup").addEventListener("click", (e) => {
        const reason = node.querySelector(".wrapup-reason").value;
        act(e.currentTarget, "POST", `/api/calls/${encodeURIComponent(call.id)}/wrapup`, { reason });
      });
      const reasons = config.wrapup_reasons[call.queue] || [];
      const pick = node.querySelector(".wrapup-reason");
      for (const reason of reasons.length ? reasons : ["Done"]) pick.append(SD.el("option", { value: reason }, reason));
      callNodes.set(call.id, node);
    }
    node.dataset.state = call.state;
    const state = node.querySelector(".call-state");
    state.textContent = SD.callStateLabel(call.state);
    state.dataset.state = call.state;
    fillFacts(node, call);
    const offline = document.body.classList.contains("offline");
    const busy = (b) => b.getAttribute("aria-busy") === "true";
    const hangup = node.querySelector(".act-hangup"), wrapup = node.querySelector(".act-wrapup");
    hangup.disabled = offline || busy(hangup) || !allows(call, "hangup");
    // an ended call is wrapped up while the agent is in wrap-up (the call itself allows nothing more)
    const canWrapUp = allows(call, "wrap_up", "wrapup") || (call.state === "ended" && view.agent && view.agent.state === "wrap_up");
    if (call.state === "ended") { state.textContent = "Ended – wrap-up"; state.dataset.state = "wrap_up"; }
    wrapup.disabled = offline || busy(wrapup) || !canWrapUp;
    node.querySelector(".wrapup-reason").disabled = wrapup.disabled;
    node.querySelector(".wrapup").hidden = !canWrapUp;
    hangup.hidden = call.state === "ended";
    return node;
  }

  function render() {
    const agent = view.agent;
    if (agent) {
      badge.textContent = SD.agentStateLabel(agent.state) + (agent.state === "idle" && agent.reason ? ` – ${agent.reason}` : "");
      badge.dataset.state = agent.state;
      document.body.dataset.agentState = agent.state;
    }
    const calls = [...view.calls.values()].filter(mine)
      .sort((a, b) => (SD.parseTime(a.enqueued_at) || 0) - (SD.parseTime(b.enqueued_at) || 0));
    const offers = calls.filter(isOffer), worked = calls.filter((c) => !isOffer(c));
    if (view.ended && !view.calls.has(view.ended.id)) worked.push(view.ended);

    // the agent is told it is ringing a moment before the contact's details arrive
    const connecting = agent && agent.state === "ringing" && offers.length === 0;
    offersBox.replaceChildren(...offers.map(renderOffer), ...(connecting ? [connectingCard] : [])); // earliest on top
    for (const id of [...offerNodes.keys()]) if (!offers.some((c) => c.id === id)) offerNodes.delete(id);
    offersBox.hidden = offers.length === 0 && !connecting;

    callsBox.replaceChildren(...worked.map(renderCall));
    for (const id of [...callNodes.keys()]) if (!worked.some((c) => c.id === id)) callNodes.delete(id);
    empty.hidden = worked.length > 0;
    $("interaction-hint").hidden = !agent || !["logged_out", "idle", "rona"].includes(agent.state);
    $("rona").hidden = !(agent && agent.state === "rona");
    apply.disabled = document.body.classList.contains("offline") || apply.getAttribute("aria-busy") === "true";
    tick();
  }

  // timers move every second without a push
  function tick() {
    if (view.agent) since.textContent = SD.duration(SD.since(view.agent.since));
    for (const [id, node] of offerNodes) {
      const call = view.calls.get(id);
      if (call) node.querySelector(".f-waited").textContent = SD.duration(SD.since(call.enqueued_at));
    }
    for (const [id, node] of callNodes) {
      const call = view.calls.get(id) || (view.ended && view.ended.id === id ? view.ended : null);
      if (!call) continue;
      const from = call.state === "ended" ? call.ended_at : (call.answered_at || call.enqueued_at);
      node.querySelector(".call-timer").textContent = SD.duration(SD.since(from));
    }
  }
  setInterval(tick, 1000);

  // ---- pushes: agent_state carries an AgentDict, call and call_ended a CallDict ----
  SD.connect({
    snapshot(data) {
      // a (re)connect replaces everything: nothing stale survives a dropped socket
      view.agent = data.agent;
      view.calls = new Map((data.calls || []).map((c) => [c.id, c]));
      view.ended = data.wrapup_call || null;
      reflectSelection(view.agent);
      render();
    },
    agent_state(data) {
      view.agent = data;
      if (view.agent.state !== "wrap_up") view.ended = null;
      reflectSelection(view.agent);
      render();
    },
    call(call) {
      view.calls.set(call.id, call);
      render();
    },
    call_ended(call) {
      view.calls.delete(call.id);
      if (mine(call) && call.answered_at) view.ended = call;
      render();
    },
    disconnect() { render(); },
  });
})();
