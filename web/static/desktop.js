/* The agent desktop. What it shows comes only from Socket.IO pushes; clicks go to the API. */
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("desktop-config").textContent);
  // call states in which the contact is being offered to the agent (the popover), not yet worked
  const OFFER_STATES = new Set(["queued", "offered", "offering", "ringing", "connecting", "alerting", "routing"]);
  // how the customer's side of a call is, by call state (what the owner hears is the other pane)
  const CUSTOMER_STATUS = {
    dialing: "Dialing…", connected: "Talking", held: "On hold – hears music",
    consulting: "On hold – hears music", consult_held: "Talking", conference: "In the conference",
    transferring: "Being transferred", transferred: "Transferred",
  };
  const CONSULT_PHASES = { ringing: "Ringing", talking: "Talking", held: "On hold – hears music", conference: "In the conference" };
  const CONSULT_KINDS = { agent: "Agent", queue: "Agent of a queue", number: "Number" };
  const AGENT_STATE_ICONS = { available: "available", idle: "idle" }; // every other state is grey

  // `ended` holds the call that just ended (or was handed over) while its agent wraps it up
  const view = { agent: null, calls: new Map(), ended: null };
  const $ = (id) => document.getElementById(id);
  const badge = $("state-badge"), since = $("state-since");
  const select = $("state-select"), apply = $("state-apply");
  const offersBox = $("offers"), callsBox = $("interaction-calls"), empty = $("interaction-empty");
  const alerts = $("alerts");
  const offerNodes = new Map(), callNodes = new Map();
  const callPath = (id, action) => `/api/calls/${encodeURIComponent(id)}/${action}`;

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

  function fieldMessage(node, message) {
    node.textContent = message || "";
    node.hidden = !message;
  }

  async function act(button, method, path, body) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const result = await SD.api(method, path, body);
    button.removeAttribute("aria-busy");
    if (result.ok) clearError(); else showError(result.data.error);
    // a call action also asks for a snapshot: it comes on the socket, after every push the action
    // caused, so the page is right even where the controller sends no push (hold and unhold do not)
    if (result.ok && result.data.call) requestRefresh();
    render(); // re-enables what the (possibly unchanged) state allows
    return result;
  }

  let refreshes = 0; // snapshots asked for by this page (not a reconnect's)
  function requestRefresh() {
    if (!SD.socket || !SD.socket.connected) return;
    refreshes += 1;
    SD.socket.emit("refresh");
  }

  // ---- dial numbers: the server's rules (controller/numbers.py), checked before anything is sent ----
  const MIN_DIGITS = 3, MAX_DIGITS = 18, MAX_TYPED = 64, MAX_DTMF = 32;
  const SEPARATORS = new Set(" -.()[]/\u2010\u2011\u2012\u2013\u2014\u2015\u2212");

  /** {number} cleaned of separators, or {error} with the sentence the server would answer. */
  function checkNumber(typed) {
    if (typed.length > MAX_TYPED) return { error: `That is ${typed.length} characters long; a number is at most ${MAX_TYPED}.` };
    const text = typed.normalize("NFKC").trim();
    if (!text) return { error: "Type a number to dial." };
    let out = "";
    for (const char of text) {
      if ((char >= "0" && char <= "9") || "+*#:".includes(char)) out += char;
      else if (SEPARATORS.has(char) || /[\p{Zs}\p{Cf}]/u.test(char)) continue;
      else if (/\p{Nd}/u.test(char)) out += char; // another script's digit: the server reads it
      else if (/\p{Cc}/u.test(char)) return { error: "A number cannot contain a line break, a tab or other control characters." };
      else if (/\p{L}/u.test(char)) {
        const hint = "xXeE".includes(char)
          ? " To send an extension after the call is answered, type it after ':' (2125550123:45)." : "";
        return { error: `Letters are not allowed in a number (found '${char}'): type the digits.${hint}` };
      } else return { error: `'${char}' is not allowed in a number: use digits, spaces, dashes and + * # :.` };
    }
    const [number, ...after] = out.split(":");
    const dtmf = after.join(":");
    if (after.length > 1) return { error: "Use ':' once: the number, then ':', then the digits to send after the call is answered." };
    if (!number) return { error: "Type the number before ':'." };
    if (after.length && !dtmf) return { error: "Type the digits to send after ':', or leave the ':' out." };
    if (!/^\+?[0-9*#\p{Nd}]+$/u.test(number)) return { error: "'+' can only come first, and only once." };
    if (number.startsWith("+") && /[*#]/.test(number)) return { error: "A number that starts with '+' cannot contain * or #." };
    if (dtmf && !/^[0-9*#]+$/.test(dtmf)) return { error: "After ':' only digits, * and # can be sent." };
    if (dtmf.length > MAX_DTMF) return { error: `${dtmf.length} digits after ':' is too many; at most ${MAX_DTMF} can be sent.` };
    const count = [...number.replace(/^\+/, "")].length;
    if (count < MIN_DIGITS) return { error: `${number} is too short: a number has at least ${MIN_DIGITS} digits.` };
    if (count > MAX_DIGITS) return { error: `That number has ${count} digits; a number has at most ${MAX_DIGITS}.` };
    return { number: out };
  }

  function checkExtension(typed) {
    const digits = [...typed.trim()].filter((c) => !SEPARATORS.has(c)).join("");
    return /^[0-9]{2,8}$/.test(digits) ? { extension: digits } : { error: "An extension is 2 to 8 digits." };
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

  // ---- a new call (when the agent has none) ----
  const newCall = $("new-call"), newKind = $("new-call-kind"), newNumber = $("new-call-number");
  const newMessage = $("new-call-message"), newDial = $("new-call-dial");
  newKind.addEventListener("change", () => {
    const extension = newKind.value === "extension";
    newNumber.placeholder = extension ? "1001" : "+1 212 555 0123";
    newNumber.closest("label").firstChild.textContent = extension ? "Extension" : "Number";
    fieldMessage(newMessage, "");
  });
  newNumber.addEventListener("input", () => fieldMessage(newMessage, ""));
  newCall.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (newDial.disabled) return;
    const checked = newKind.value === "extension" ? checkExtension(newNumber.value) : checkNumber(newNumber.value);
    if (checked.error) {
      fieldMessage(newMessage, checked.error);
      newNumber.focus();
      return;
    }
    fieldMessage(newMessage, "");
    const to = checked.extension ? { extension: checked.extension } : { number: checked.number };
    const body = { to };
    if ($("new-call-queue").value) body.queue = $("new-call-queue").value;
    const result = await act(newDial, "POST", "/api/calls", body);
    if (result.ok) newNumber.value = "";
  });

  // ---- the transfer / consult dialog ----
  const dialog = $("target-dialog"), targetNumber = $("target-number"), targetMessage = $("target-message");
  const targetTransfer = $("target-transfer"), targetConsult = $("target-consult");
  const dialogState = { callId: null, timer: null, focus: false, signature: null };

  function openTargets(callId, mode) {
    dialogState.callId = callId;
    $("target-title").textContent = mode === "consult" ? "Consult" : "Transfer";
    targetTransfer.classList.toggle("btn-primary", mode !== "consult");
    targetConsult.classList.toggle("btn-primary", mode === "consult");
    fieldMessage(targetMessage, "");
    if (!dialog.open) dialog.showModal();
    dialogState.focus = true; // on the first target once the list is there
    loadDirectory();
    clearInterval(dialogState.timer);
    dialogState.timer = setInterval(loadDirectory, 5000); // agents' states change while the dialog is open
    render();
  }

  function closeTargets() {
    clearInterval(dialogState.timer);
    dialogState.callId = null;
    if (dialog.open) dialog.close();
  }
  dialog.addEventListener("close", () => { clearInterval(dialogState.timer); dialogState.callId = null; });
  $("target-close").addEventListener("click", closeTargets);
  $("target-cancel").addEventListener("click", closeTargets);
  $("target-refresh").addEventListener("click", loadDirectory);
  targetNumber.addEventListener("input", () => { $("target-number-choice").checked = true; fieldMessage(targetMessage, ""); });
  targetNumber.addEventListener("focus", () => { $("target-number-choice").checked = true; });
  $("target-number-choice").addEventListener("change", () => targetNumber.focus());

  async function loadDirectory() {
    const result = await SD.api("GET", "/api/directory");
    if (!result.ok) { fieldMessage(targetMessage, result.data.error); return; }
    // the list is rebuilt only when it changed, keeping the choice and the keyboard focus
    const signature = JSON.stringify([result.data.agents, result.data.queues]);
    if (signature === dialogState.signature && !dialogState.focus) return;
    dialogState.signature = signature;
    const picked = (dialog.querySelector('input[name="target"]:checked') || {}).value;
    const focused = document.activeElement && document.activeElement.name === "target" ? document.activeElement.value : null;
    const myExtension = ($("agent-extension") || {}).textContent;
    const agents = (result.data.agents || []).filter((a) => !(myExtension && a.extension === myExtension));
    $("target-agents").replaceChildren(...(agents.length ? agents.map((a) => {
      const icon = AGENT_STATE_ICONS[a.state] || "other";
      const radio = SD.el("input", { type: "radio", name: "target", value: "agent:" + a.username });
      radio.disabled = !a.reachable;
      return SD.el("li", { class: "target-item", dataset: { reachable: String(!!a.reachable), username: a.username } },
        SD.el("label", {}, radio,
          SD.el("span", { class: "state-dot", dataset: { icon }, "aria-hidden": "true" }),
          SD.el("span", { class: "target-name" }, a.name),
          SD.el("span", { class: "target-meta" },
            [a.extension ? "ext. " + a.extension : "", a.team || "", SD.agentStateLabel(a.state)].filter(Boolean).join(" · "))));
    }) : [SD.el("li", { class: "hint" }, "No other agents.")]));
    $("target-queues").replaceChildren(...(result.data.queues || []).map((q) =>
      SD.el("li", { class: "target-item", dataset: { queue: q.name } },
        SD.el("label", {}, SD.el("input", { type: "radio", name: "target", value: "queue:" + q.name }),
          SD.el("span", { class: "target-name" }, q.label || q.name)))));
    // keep the agent's choice across refreshes, unless that target cannot be picked any more
    const again = picked && [...dialog.querySelectorAll('input[name="target"]')].find((r) => r.value === picked);
    if (again && !again.disabled) again.checked = true;
    const refocus = focused && [...dialog.querySelectorAll('input[name="target"]')].find((r) => r.value === focused);
    if (refocus && !refocus.disabled) refocus.focus();
    if (dialogState.focus && dialog.open) {
      dialogState.focus = false;
      const first = dialog.querySelector('input[name="target"]:checked:not(:disabled)') ||
        dialog.querySelector('input[name="target"]:not(:disabled)');
      (first || targetNumber).focus();
    }
  }

  /** {to} for the API from the dialog, or {error}. */
  function chosenTarget() {
    const picked = dialog.querySelector('input[name="target"]:checked');
    if (!picked) return { error: "Choose an agent, a queue or a number." };
    if (picked.value === "number") {
      const checked = checkNumber(targetNumber.value);
      return checked.error ? { error: checked.error } : { to: { number: checked.number } };
    }
    const [kind, ...name] = picked.value.split(":");
    return { to: { [kind]: name.join(":") } };
  }

  async function sendTarget(button, mode) {
    const callId = dialogState.callId;
    const target = chosenTarget();
    if (target.error) {
      fieldMessage(targetMessage, target.error);
      if (target.error && dialog.querySelector('input[name="target"]:checked') === $("target-number-choice")) targetNumber.focus();
      return;
    }
    fieldMessage(targetMessage, "");
    const result = mode === "consult"
      ? await act(button, "POST", callPath(callId, "consult"), { to: target.to })
      : await act(button, "POST", callPath(callId, "transfer"), { mode: "blind", to: target.to });
    if (result.ok) { targetNumber.value = ""; closeTargets(); } else { fieldMessage(targetMessage, result.data.error); }
  }
  targetTransfer.addEventListener("click", () => sendTarget(targetTransfer, "transfer"));
  targetConsult.addEventListener("click", () => sendTarget(targetConsult, "consult"));

  function renderDialog() {
    if (!dialog.open) return;
    const call = view.calls.get(dialogState.callId);
    if (!call || !mine(call)) { closeTargets(); return; } // the call ended or left this agent meanwhile
    const offline = document.body.classList.contains("offline");
    targetTransfer.disabled = offline || busy(targetTransfer) || !allows(call, "transfer");
    targetConsult.disabled = offline || busy(targetConsult) || !allows(call, "consult");
  }

  // ---- rendering ----
  /** A call this agent is part of: owns it, or is the consulted or called agent. */
  function mine(call) {
    if (call.role === "consulted" || call.role === "peer") return true;
    return String(call.agent_id) === String(config.agent_id) && (!call.role || call.role === "owner");
  }
  function isOffer(call) { return OFFER_STATES.has(call.state) && call.role !== "consulted"; }
  function allows(call, ...actions) { return actions.some((a) => (call.allowed || []).includes(a)); }
  const busy = (b) => b.getAttribute("aria-busy") === "true";

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
      node.querySelector(".act-accept").addEventListener("click", (e) =>
        act(e.currentTarget, "POST", callPath(call.id, "accept")));
      offerNodes.set(call.id, node);
    }
    node.dataset.kind = call.kind || "inbound";
    const kind = node.querySelector(".offer-kind");
    kind.textContent = call.kind === "callback" ? "Callback" : "";
    kind.hidden = call.kind !== "callback";
    node.querySelector(".offer-title").textContent =
      `${SD.kindLabel(call.kind)} contact${call.queue ? " from " + call.queue : ""}`;
    fillFacts(node, call);
    const accept = node.querySelector(".act-accept");
    accept.disabled = document.body.classList.contains("offline") || busy(accept) || !allows(call, "accept");
    return node;
  }

  /** The current version of a call shown in the pane (live, or the one being wrapped up). */
  function current(id) {
    return view.calls.get(id) || (view.ended && view.ended.id === id ? view.ended : null);
  }

  function createCallNode(call) {
    const node = document.getElementById("call-template").content.firstElementChild.cloneNode(true);
    const id = call.id;
    node.id = "call-" + id;
    node.dataset.callId = id;
    const on = (selector, handler) => node.querySelector(selector).addEventListener("click", (e) => handler(e.currentTarget));
    const post = (action, body) => (button) => act(button, "POST", callPath(id, action), body);
    on(".act-hold", (b) => act(b, "POST", callPath(id, b.dataset.token === "unhold" ? "unhold" : "hold")));
    on(".act-hangup", post("hangup"));
    on(".act-transfer", () => openTargets(id, "transfer"));
    on(".act-consult", () => openTargets(id, "consult"));
    on(".act-consult-cancel", post("consult/cancel"));
    on(".act-consult-swap", post("consult/swap"));
    on(".act-consult-complete", post("consult/complete"));
    on(".act-consult-conference", post("consult/conference"));
    on(".act-record", (b) => act(b, "POST", callPath(id, "recording"),
      { action: b.dataset.token === "record_stop" ? "stop" : "start" }));
    on(".act-rec-pause", post("recording", { action: "pause" }));
    on(".act-rec-shield", (b) => {
      const seconds = Number(node.querySelector(".rec-shield-seconds").value);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 600) {
        showError("The privacy shield lasts 1 to 600 seconds.");
        return;
      }
      act(b, "POST", callPath(id, "recording"), { action: "pause", seconds });
    });
    on(".act-rec-resume", post("recording", { action: "resume" }));
    const tagText = node.querySelector(".rec-tag-text"), tagStatus = node.querySelector(".rec-tag-status");
    const tag = async (button) => {
      const result = await act(button, "POST", callPath(id, "recording/tags"), { text: tagText.value });
      if (result.ok) {
        const saved = result.data.tag || {};
        tagText.value = "";
        tagStatus.textContent = `Tag saved at ${SD.duration(saved.offset_seconds)}: ${saved.text}`;
      }
    };
    on(".act-rec-tag", tag);
    tagText.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); const b = node.querySelector(".act-rec-tag"); if (!b.disabled) tag(b); }
    });
    on(".act-wrapup", (b) => act(b, "POST", callPath(id, "wrapup"), { reason: node.querySelector(".wrapup-reason").value }));
    const reasons = config.wrapup_reasons[call.queue] || [];
    const pick = node.querySelector(".wrapup-reason");
    for (const reason of reasons.length ? reasons : ["Done"]) pick.append(SD.el("option", { value: reason }, reason));
    return node;
  }

  function renderCall(call) {
    let node = callNodes.get(call.id);
    if (!node) {
      node = createCallNode(call);
      callNodes.set(call.id, node);
    }
    const role = call.role || "owner";
    const owner = role === "owner";
    // an ended call (or one handed to someone else) is wrapped up while the agent is in wrap-up
    const over = call === view.ended;
    const offline = document.body.classList.contains("offline");
    const q = (selector) => node.querySelector(selector);
    const enable = (button, token) => { button.disabled = offline || busy(button) || !allows(call, token); };

    node.dataset.state = call.state;
    node.dataset.role = role;
    const state = q(".call-state");
    state.textContent = role === "peer" && call.state === "dialing" ? "Ringing" : SD.callStateLabel(call.state);
    state.dataset.state = call.state;
    if (over) {
      state.textContent = call.state === "ended" ? "Ended – wrap-up" : "Transferred – wrap-up";
      state.dataset.state = "wrap_up";
    }
    q(".call-role").textContent = role === "consulted" ? "You are consulted on this call"
      : role === "peer" ? "A call from a colleague" : "";
    fillFacts(node, call);

    // the two parties: the customer, and during a consultation the consulted party
    const consult = !over && call.consult;
    q(".party-customer .party-status").textContent = over ? "" : (CUSTOMER_STATUS[call.state] || "");
    q(".party-consult").hidden = !consult;
    q(".parties").classList.toggle("with-consult", !!consult);
    if (consult) {
      q(".f-consult-label").textContent = consult.label || "–";
      q(".f-consult-kind").textContent = CONSULT_KINDS[consult.kind] || consult.kind || "–";
      const phase = q(".consult-phase");
      phase.textContent = CONSULT_PHASES[consult.phase] || consult.phase;
      phase.dataset.phase = consult.phase;
    }

    for (const part of node.querySelectorAll(".owner-only")) part.hidden = !owner || over;
    q(".call-actions").hidden = over;
    q(".consult-actions").hidden = !owner || over || !consult;

    const hold = q(".act-hold");
    const held = call.state === "held" || allows(call, "unhold");
    hold.dataset.token = held ? "unhold" : "hold";
    hold.textContent = held ? "Unhold" : "Hold";
    enable(hold, hold.dataset.token);
    const hangup = q(".act-hangup");
    hangup.textContent = call.state === "conference" && (owner || role === "consulted") ? "Leave conference"
      : role === "consulted" ? "End consult" : "End";
    enable(hangup, "hangup");
    enable(q(".act-transfer"), "transfer");
    enable(q(".act-consult"), "consult");

    if (consult) {
      enable(q(".act-consult-cancel"), "consult_cancel");
      const swap = q(".act-consult-swap");
      swap.textContent = consult.phase === "held" ? "Resume consult" : "Resume customer";
      enable(swap, "consult_swap");
      enable(q(".act-consult-complete"), "consult_complete");
      enable(q(".act-consult-conference"), "consult_conference");
    }

    // recording: start/stop, pause, privacy shield (a pause that resumes by itself), resume, tags
    const rec = over ? null : call.recording;
    const record = q(".act-record");
    record.dataset.token = rec ? "record_stop" : "record_start";
    record.textContent = rec ? "Stop recording" : "Record";
    enable(record, record.dataset.token);
    for (const part of node.querySelectorAll(".act-rec-pause, .shield, .act-rec-resume, .tag")) part.hidden = !rec;
    enable(q(".act-rec-pause"), "record_pause");
    enable(q(".act-rec-shield"), "record_pause");
    q(".rec-shield-seconds").disabled = q(".act-rec-shield").disabled;
    enable(q(".act-rec-resume"), "record_resume");
    enable(q(".act-rec-tag"), "record_tag");
    q(".rec-tag-text").disabled = offline || !allows(call, "record_tag");
    if (!rec) q(".rec-tag-status").textContent = "";
    renderRecordingStatus(node, rec);

    // wrap-up: the call allows nothing more, but its agent is in wrap-up
    const wrapup = q(".act-wrapup");
    const canWrapUp = allows(call, "wrap_up", "wrapup") || (over && view.agent && view.agent.state === "wrap_up");
    wrapup.disabled = offline || busy(wrapup) || !canWrapUp;
    q(".wrapup-reason").disabled = wrapup.disabled;
    q(".wrapup-actions").hidden = !canWrapUp;
    return node;
  }

  function renderRecordingStatus(node, rec) {
    const status = node.querySelector(".rec-status");
    if (!rec) { status.textContent = "Not recording"; status.dataset.rec = "off"; return; }
    if (!rec.paused) { status.textContent = "● Recording"; status.dataset.rec = "on"; return; }
    status.dataset.rec = "paused";
    const left = rec.resume_at ? -SD.since(rec.resume_at) : null;
    status.textContent = left === null ? "Paused"
      : left > 0 ? `Paused – privacy shield, resumes in ${SD.duration(Math.ceil(left))}` : "Paused – resuming…";
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
    const connecting = agent && agent.state === "ringing" && offers.length === 0 && worked.length === 0;
    offersBox.replaceChildren(...offers.map(renderOffer), ...(connecting ? [connectingCard] : [])); // earliest on top
    for (const id of [...offerNodes.keys()]) if (!offers.some((c) => c.id === id)) offerNodes.delete(id);
    offersBox.hidden = offers.length === 0 && !connecting;

    callsBox.replaceChildren(...worked.map(renderCall));
    for (const id of [...callNodes.keys()]) if (!worked.some((c) => c.id === id)) callNodes.delete(id);
    empty.hidden = worked.length > 0;
    $("interaction-hint").hidden = !agent || !["logged_out", "idle", "rona"].includes(agent.state);
    $("rona").hidden = !(agent && agent.state === "rona");
    const offline = document.body.classList.contains("offline");
    apply.disabled = offline || busy(apply);
    // a new call: only with no call at all, and from Available or Idle (the controller refuses the rest)
    newCall.hidden = !agent || offers.length > 0 || worked.length > 0 || ["ringing", "on_call", "wrap_up"].includes(agent.state);
    const canDial = agent && ["available", "idle"].includes(agent.state);
    newDial.disabled = offline || busy(newDial) || !canDial;
    $("new-call-hint").hidden = !!canDial;
    renderDialog();
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
      const call = current(id);
      if (!call) continue;
      const from = call.state === "ended" || call === view.ended ? call.ended_at : (call.answered_at || call.enqueued_at);
      node.querySelector(".call-timer").textContent = SD.duration(SD.since(from));
      if (call !== view.ended) renderRecordingStatus(node, call.recording);
    }
  }
  setInterval(tick, 1000);

  // ---- pushes: agent_state carries an AgentDict, call and call_ended a CallDict ----
  SD.connect({
    snapshot(data) {
      // a (re)connect replaces everything: nothing stale survives a dropped socket
      const asked = refreshes > 0;
      refreshes = Math.max(0, refreshes - 1);
      view.agent = data.agent;
      view.calls = new Map((data.calls || []).map((c) => [c.id, c]));
      // the call to wrap up: the controller finds it by its agent, which misses a call this agent
      // transferred; the page's own (from call_ended) is kept while the agent is still in wrap-up
      const ownEnded = view.agent.state === "wrap_up" ? view.ended : null;
      view.ended = (asked ? ownEnded || data.wrapup_call : data.wrapup_call || ownEnded) || null;
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
      // the call ended, or left this agent (transferred, handed over, back to the queue):
      // the agent who owned it wraps it up; a consulted agent just goes back to work
      const before = view.calls.get(call.id);
      view.calls.delete(call.id);
      const owned = (before && before.role === "owner" && mine(before)) || (call.role === "owner" && mine(call));
      if (owned && call.answered_at) {
        // a call handed to someone else has not ended: its wrap-up time counts from now
        view.ended = Object.assign({}, call, { role: "owner", allowed: [], ended_at: call.ended_at || new Date().toISOString() });
      }
      render();
    },
    disconnect() { render(); },
  });
})();
