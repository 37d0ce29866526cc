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
  // `callbackOffers`: the callback popovers on screen (callback id -> the callback_offer push)
  const view = { agent: null, calls: new Map(), ended: null, callbackOffers: new Map() };
  const $ = (id) => document.getElementById(id);
  const badge = $("state-badge"), since = $("state-since");
  const select = $("state-select"), apply = $("state-apply");
  const offersBox = $("offers"), offersList = $("offers-list"), callsBox = $("interaction-calls");
  const empty = $("interaction-empty"), alerts = $("alerts"), acceptAll = $("accept-all");
  const offerNodes = new Map(), callNodes = new Map();
  // when this page first saw each offer (ms): the countdown's start when the controller sends none
  const offerSeen = new Map();
  /** the most popovers shown at once; past it the stack reads "1–5 of N" */
  const MAX_SHOWN_OFFERS = 5;
  /** at most this many call-data variables in a popover */
  const POPOVER_VARIABLES = 6;
  /** a call-data value is at most this long (the controller's limit) */
  const CAD_LIMIT = 256;
  const MASK = "••••••";
  const callPath = (id, action) => `/api/calls/${encodeURIComponent(id)}/${action}`;
  const callbackPath = (id, action) => `/api/callbacks/${encodeURIComponent(id)}/${action}`;
  /** Available or Idle with nothing on screen: a callback can be dialed now */
  let canDialNow = false;

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
  $("rona-available").addEventListener("click", (e) =>
    act(e.currentTarget, "POST", "/api/agent/state", { state: "available", reason: "" }));
  $("rona-idle").addEventListener("click", (e) =>
    act(e.currentTarget, "POST", "/api/agent/state", { state: "idle", reason: $("rona-reason").value }));

  // nobody walks away from a contact being offered: the page refuses before the controller has to
  const OFFERED_LOGOUT = "You cannot log out while a contact is being offered to you: " +
    "accept it, or wait until it goes back to its queue.";
  const popoverOnScreen = () => !offersBox.hidden && offersList.childElementCount > 0;

  apply.addEventListener("click", () => {
    const choice = select.value;
    const [state, reason] = choice.startsWith("idle:") ? ["idle", choice.slice(5)] : [choice, ""];
    if (state === "logged_out" && popoverOnScreen()) { showError(OFFERED_LOGOUT); return; }
    act(apply, "POST", "/api/agent/state", { state, reason });
  });
  const logoutForm = $("logout-form");
  if (logoutForm) {
    logoutForm.addEventListener("submit", (e) => {
      if (popoverOnScreen()) { e.preventDefault(); showError(OFFERED_LOGOUT); }
    });
  }

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
  // the address book fills the number (checked again when Call is pressed)
  const newCallBook = AddressBook.picker({
    filter: $("new-call-book-filter"), list: $("new-call-book-list"), status: $("new-call-book-status"),
    onPick(entry) {
      if (newKind.value !== "number") { newKind.value = "number"; newKind.dispatchEvent(new Event("change")); }
      newNumber.value = entry.number;
      fieldMessage(newMessage, checkNumber(entry.number).error || "");
      $("new-call-book").open = false;
      newNumber.focus();
    },
  });
  $("new-call-book").addEventListener("toggle", () => {
    if ($("new-call-book").open) { newCallBook.open(); $("new-call-book-filter").focus(); }
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
    $("target-book-filter").value = "";
    targetBook.open(); // the book as it is now: a supervisor may have changed it since the last time
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
  // picking an entry of the address book fills the number (the page and the controller still check it)
  const targetBook = AddressBook.picker({
    filter: $("target-book-filter"), list: $("target-book"), status: $("target-book-status"),
    onPick(entry) {
      targetNumber.value = entry.number;
      $("target-number-choice").checked = true;
      fieldMessage(targetMessage, checkNumber(entry.number).error || "");
      targetNumber.focus();
    },
  });

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
  /** Make `parent`'s children exactly `nodes`, touching the page only where they differ
   * (moving a node out and back would take the keyboard focus from the button or field in it). */
  function syncChildren(parent, nodes) {
    if (parent.childElementCount === nodes.length && nodes.every((n, i) => parent.children[i] === n)) return;
    parent.replaceChildren(...nodes);
  }

  /** A call this agent is part of: owns it, or is the consulted or called agent. */
  function mine(call) {
    if (call.role === "consulted" || call.role === "peer") return true;
    return String(call.agent_id) === String(config.agent_id) && (!call.role || call.role === "owner");
  }
  function isOffer(call) { return OFFER_STATES.has(call.state) && call.role !== "consulted"; }

  /** A callback popover as the stack shows it: like a call being offered, keyed "cb-<id>". */
  function callbackItem(key) {
    const offer = typeof key === "string" && key.startsWith("cb-") ? view.callbackOffers.get(Number(key.slice(3))) : null;
    if (!offer) return null;
    const cb = offer.callback;
    return {
      id: "cb-" + cb.id, callback: cb, state: "offering", kind: "callback", role: "owner", allowed: ["accept", "decline"],
      queue: cb.queue, ani: cb.number, dnis: cb.original_dnis || cb.caller_id, enqueued_at: cb.enqueued_at,
      offer_expires_at: offer.offer_expires_at, ring_timeout: offer.timeout,
    };
  }
  const callbackItems = () => [...view.callbackOffers.keys()].map((id) => callbackItem("cb-" + id));
  /** A consultation ringing this (consulted) agent's phone: a popover until they answer. */
  function isConsultRequest(call) {
    return call.role === "consulted" && !!call.consult && call.consult.phase === "ringing";
  }
  function allows(call, ...actions) { return actions.some((a) => (call.allowed || []).includes(a)); }
  const busy = (b) => b.getAttribute("aria-busy") === "true";

  function fillFacts(node, call) {
    node.querySelector(".f-queue").textContent = call.queue || "–";
    node.querySelector(".f-ani").textContent = call.ani || "Unknown";
    node.querySelector(".f-dnis").textContent = call.dnis || "–";
    node.querySelector(".f-kind").textContent = SD.kindLabel(call.kind);
  }

  const connectingCard = SD.el("article", { class: "offer offer-connecting", id: "offer-connecting", role: "status" },
    SD.el("h3", { class: "offer-title" }, "Connecting a contact…"),
    SD.el("p", { class: "offer-note" }, "The contact center is ringing your phone; its details follow."));

  /** The call-data variables of a popover: at most six, secure values never shown. */
  function fillPopoverData(node, call) {
    const list = node.querySelector(".offer-data");
    const data = Array.isArray(call.data) ? call.data.slice(0, POPOVER_VARIABLES) : [];
    list.hidden = data.length === 0;
    list.replaceChildren(...data.flatMap((v) => [
      SD.el("dt", {}, v.label || v.name),
      SD.el("dd", { class: "offer-var", dataset: { name: v.name, secure: String(!!v.secure) } }, shownValue(v)),
    ]));
  }

  /** What the page shows of a variable's value before anyone reveals it. */
  function shownValue(v) {
    if (v.secure && !v.masked && !v.value) return "–"; // an empty secure value has nothing to hide
    if (v.secure) return v.masked && v.value ? String(v.value) : MASK;
    return v.value === null || v.value === undefined || v.value === "" ? "–" : String(v.value);
  }

  function newOfferNode(call, templateId) {
    const node = document.getElementById(templateId).content.firstElementChild.cloneNode(true);
    node.id = "offer-" + call.id;
    node.dataset.callId = call.id;
    node.setAttribute("aria-labelledby", node.id + "-title");
    node.querySelector(".offer-title").id = node.id + "-title";
    return node;
  }

  function renderOffer(call) {
    let node = offerNodes.get(call.id);
    if (!node || node.dataset.type !== "offer") {
      node = newOfferNode(call, "offer-template");
      node.dataset.type = "offer";
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
    fillPopoverData(node, call);
    node.querySelector(".s-ani").textContent = call.ani || "Unknown caller";
    const accept = node.querySelector(".act-accept");
    accept.disabled = document.body.classList.contains("offline") || busy(accept) || !allows(call, "accept");
    return node;
  }

  /** A callback offered by routing: Accept rings the agent's phone, then the customer is dialed. */
  function renderCallbackOffer(item) {
    const cb = item.callback;
    let node = offerNodes.get(item.id);
    if (!node || node.dataset.type !== "callback") {
      node = newOfferNode(item, "callback-offer-template");
      node.dataset.type = "callback";
      delete node.dataset.callId; // not a call yet: Accept makes one
      node.dataset.callbackId = cb.id;
      node.querySelector(".act-accept").addEventListener("click", (e) =>
        act(e.currentTarget, "POST", callbackPath(cb.id, "accept")));
      node.querySelector(".act-decline").addEventListener("click", (e) =>
        act(e.currentTarget, "POST", callbackPath(cb.id, "decline")));
      offerNodes.set(item.id, node);
    }
    node.dataset.kind = "callback";
    node.querySelector(".offer-title").textContent = `Callback${cb.queue ? " for " + cb.queue : ""}`;
    node.querySelector(".f-ani").textContent = cb.number || "–";
    node.querySelector(".f-queue").textContent = cb.queue || "–";
    node.querySelector(".f-dnis").textContent = item.dnis || "–";
    for (const [field, value] of [["name", cb.name], ["note", cb.note]]) {
      node.querySelector(`.f-${field}`).textContent = value || "";
      node.querySelector(`.f-${field}`).hidden = node.querySelector(`.f-${field}-label`).hidden = !value;
    }
    node.querySelector(".s-ani").textContent = cb.number || "–";
    const offline = document.body.classList.contains("offline");
    for (const b of node.querySelectorAll(".act-accept, .act-decline")) b.disabled = offline || busy(b);
    return node;
  }

  /** The consulted agent's popover: who consults them, about which contact. */
  function renderConsultRequest(call) {
    let node = offerNodes.get(call.id);
    if (!node || node.dataset.type !== "consult") {
      node = newOfferNode(call, "consult-request-template");
      node.dataset.type = "consult";
      offerNodes.set(call.id, node);
    }
    const owner = call.owner || {};
    node.querySelector(".offer-title").textContent = `Consult request from ${owner.name || "a colleague"}`;
    node.querySelector(".f-from").textContent = owner.name || "–";
    node.querySelector(".f-from-extension").textContent = owner.extension || "–";
    node.querySelector(".f-from-team").textContent = owner.team || "–";
    node.querySelector(".f-queue").textContent = call.queue || "–";
    node.querySelector(".f-ani").textContent = call.ani || "Unknown";
    fillPopoverData(node, call);
    return node;
  }

  /** When the offer stops ringing (ms), or null when the controller says nothing about its ring timeout. */
  function offerDeadline(call) {
    const explicit = SD.parseTime(call.offer_expires_at);
    if (explicit) return explicit;
    const timeout = Number(call.ring_timeout ??
      (config.ring_timeouts && call.queue ? config.ring_timeouts[call.queue] : undefined) ?? config.ring_timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) return null;
    const start = SD.parseTime(call.offered_at) || offerSeen.get(call.id) || Date.now();
    return start + timeout * 1000;
  }

  function tickOffer(node, call) {
    const waited = node.querySelector(".f-waited");
    if (waited) waited.textContent = SD.duration(SD.since(call.enqueued_at));
    const summary = node.querySelector(".s-waited");
    if (summary) summary.textContent = SD.duration(SD.since(call.enqueued_at));
    const countdown = node.querySelector(".offer-countdown");
    const bar = node.querySelector(".offer-progress-bar");
    const deadline = offerDeadline(call);
    if (deadline === null) {
      // no ring timeout known: how long it has rung, counting up
      const rung = (Date.now() - (offerSeen.get(call.id) || Date.now())) / 1000;
      countdown.textContent = "Ringing " + SD.duration(rung);
      countdown.dataset.mode = "up";
      if (bar) bar.parentNode.hidden = true;
      return;
    }
    const left = Math.max(0, (deadline - Date.now()) / 1000);
    countdown.textContent = SD.duration(Math.ceil(left));
    countdown.dataset.mode = "down";
    countdown.setAttribute("aria-label", `${Math.ceil(left)} seconds left to answer`);
    if (bar) {
      // the whole ring timeout when the controller names it (right after a reconnect too)
      const start = SD.parseTime(call.offered_at) || offerSeen.get(call.id) || Date.now();
      const total = Number(call.ring_timeout) > 0 ? call.ring_timeout * 1000 : Math.max(1, deadline - start);
      bar.parentNode.hidden = false;
      bar.style.width = `${Math.max(0, Math.min(100, (100 * (deadline - Date.now())) / total))}%`;
    }
  }

  async function acceptAllOffers() {
    const offers = [...[...view.calls.values()].filter((c) => mine(c) && isOffer(c)), ...callbackItems()]
      .filter((c) => allows(c, "accept")).sort(byArrival);
    acceptAll.disabled = true;
    acceptAll.setAttribute("aria-busy", "true");
    const refused = [];
    let accepted = false;
    // earliest first, one at a time. The phone carries one call: the first request the controller
    // takes puts a call on it, and the controller hands the others back to their queue at their
    // place (they are offered again, in turn, once the agent is free). So Accept all stops there.
    for (const call of offers) {
      const result = await SD.api("POST", call.callback ? callbackPath(call.callback.id, "accept") : callPath(call.id, "accept"));
      if (result.ok) { accepted = true; break; }
      refused.push(result.data.error); // withdrawn or expired meanwhile: the next one
    }
    acceptAll.removeAttribute("aria-busy");
    if (!accepted && refused.length) {
      showError(`None of the ${offers.length} contacts could be accepted: ${[...new Set(refused)].join(" ")}`);
    } else clearError();
    requestRefresh();
    render();
  }
  acceptAll.addEventListener("click", acceptAllOffers);

  const byArrival = (a, b) => (SD.parseTime(a.enqueued_at) || 0) - (SD.parseTime(b.enqueued_at) || 0);

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
    on(".act-agenda", () => DeskCallbacks.openAgenda(current(id) || call));
    setUpCad(node, id);
    setUpCallBack(node, id);
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
    renderCad(node, call, offline);
    renderCallBack(node, call, offline, owner && !over);

    // wrap-up: the call allows nothing more, but its agent is in wrap-up
    const wrapup = q(".act-wrapup");
    const canWrapUp = allows(call, "wrap_up", "wrapup") || (over && view.agent && view.agent.state === "wrap_up");
    wrapup.disabled = offline || busy(wrapup) || !canWrapUp;
    q(".wrapup-reason").disabled = wrapup.disabled;
    q(".act-agenda").disabled = wrapup.disabled;
    q(".wrapup-actions").hidden = !canWrapUp;
    return node;
  }

  // ---- agent-initiated callback: type the number or prompt the customer for it, then call it back ----
  /**
   * Each call node keeps what its Call back form shows: whether it is open, the prompt's state
   * (`prompting`, `done`, `failed`, `cancelled`, from the `callback_digits` pushes) and the last
   * callback made from it (from the `callback` pushes: dialing, connected, no answer).
   */
  const PROMPT_STATUS = {
    done: (d) => `The customer keyed in ${d}. Check it, then press Call back.`,
    failed: (d) => d ? `The customer stopped after ${d}: correct the number, or prompt again.`
      : "The customer did not key in a number: prompt again, or type it.",
    cancelled: () => "Prompt cancelled.",
  };

  function setUpCallBack(node, id) {
    // pushed: a push about this form came since the last click (its reply must not overwrite what it said)
    const back = node.back = { open: false, prompt: "", status: "", callbackId: null, pushed: false };
    const q = (selector) => node.querySelector(selector);
    const form = q(".callback-form"), number = q(".cb-back-number");
    const message = (text) => fieldMessage(q(".cb-back-message"), text);
    const redraw = () => { const call = current(id); if (call) renderCall(call); };
    q(".act-callback-open").addEventListener("click", () => {
      back.open = !back.open;
      redraw();
      if (back.open) number.focus();
    });
    q(".act-cb-close").addEventListener("click", () => { back.open = false; message(""); redraw(); q(".act-callback-open").focus(); });
    number.addEventListener("input", () => message(""));
    number.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); q(".act-cb-close").click(); } });
    // the pushes (`callback_digits`, `callback`) may come before the reply: the reply then says nothing more
    q(".act-cb-prompt").addEventListener("click", async (e) => {
      message("");
      back.pushed = false;
      const result = await act(e.currentTarget, "POST", callPath(id, "callback/prompt"));
      if (!result.ok) message(result.data.error);
      else if (!back.pushed) { back.prompt = "prompting"; back.status = "The customer hears the prompt and keys in the number…"; }
      redraw();
    });
    q(".act-cb-prompt-cancel").addEventListener("click", async (e) => {
      const result = await act(e.currentTarget, "POST", callPath(id, "callback/prompt/cancel"));
      if (!result.ok) message(result.data.error);
      redraw();
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const button = q(".act-cb-dial");
      if (button.disabled) return;
      const checked = checkCallbackNumber(number.value);
      if (checked.error) { message(checked.error); number.focus(); return; }
      message("");
      back.pushed = false;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      const result = await SD.api("POST", callPath(id, "callback"), { number: checked.number });
      button.removeAttribute("aria-busy");
      if (!result.ok) message(result.data.error);
      else if (!back.pushed) {
        back.prompt = "";
        back.status = `Calling ${checked.number}… You talk to them once they answer; the customer stays on this line until then.`;
      }
      if (result.ok) requestRefresh();
      redraw();
    });
  }

  /** A number to call back at: the dial-number rules, and a full phone number (controller/callbacks/numbers.py). */
  function checkCallbackNumber(typed) {
    const checked = checkNumber(typed);
    if (checked.error) return checked;
    const digits = checked.number;
    if (/[*#:]/.test(digits) || digits.replace(/^\+/, "").length < 7) {
      return { error: `${digits} cannot be called back: give a full phone number.` };
    }
    return { number: digits };
  }

  function renderCallBack(node, call, offline, owner) {
    const back = node.back, q = (selector) => node.querySelector(selector);
    const form = q(".callback-form"), toggle = q(".act-callback-open");
    const can = allows(call, "call_back");
    // a prompt or a callback under way keeps the form on screen; otherwise it goes with the token
    const busyBack = back.prompt === "prompting" || !!back.callbackId;
    toggle.hidden = !owner || (!can && !busyBack);
    form.hidden = !owner || !back.open;
    toggle.setAttribute("aria-expanded", String(back.open));
    toggle.disabled = offline || busy(toggle) || (!can && !busyBack);
    form.dataset.prompt = back.prompt;
    const prompting = back.prompt === "prompting";
    const prompt = q(".act-cb-prompt");
    prompt.textContent = prompting || back.prompt === "done" || back.prompt === "failed" ? "Prompt again" : "Prompt";
    prompt.disabled = offline || busy(prompt) || !can;
    const cancel = q(".act-cb-prompt-cancel");
    cancel.hidden = !prompting;
    cancel.disabled = offline || busy(cancel);
    const dial = q(".act-cb-dial");
    dial.disabled = offline || busy(dial) || !can || !!back.callbackId;
    q(".cb-back-number").disabled = offline;
    q(".cb-back-status").textContent = back.status;
  }

  /** `callback_digits`: the digits the customer keyed in so far, and the prompt's state. */
  function callbackDigits(data) {
    const node = callNodes.get(data.call_id);
    if (!node || !node.back) return;
    const back = node.back, input = node.querySelector(".cb-back-number");
    back.open = true;
    back.pushed = true;
    back.prompt = data.state;
    if (data.state === "prompting") {
      // the customer's digits appear as they are pressed (what the agent typed is replaced while they key in)
      if (data.digits || document.activeElement !== input) input.value = data.digits;
      back.status = data.digits ? `The customer is keying in the number: ${data.digits}…`
        : "The customer hears the prompt and keys in the number…";
    } else {
      if (data.state === "done" && data.digits) input.value = data.digits;
      back.status = (PROMPT_STATUS[data.state] || (() => ""))(data.digits);
    }
    const call = current(data.call_id);
    if (call) renderCall(call);
  }

  /** A `callback` push about a callback this page's agent made from a call: how its call goes. */
  function callbackOfCall(cb) {
    if (cb.kind !== "agent_initiated") return;
    const node = callNodes.get(cb.contact_id) || callNodes.get(cb.original_contact_id);
    if (!node || !node.back) return;
    const back = node.back;
    back.pushed = true;
    if (cb.status === "dialing") {
      back.callbackId = cb.id;
      back.status = `Calling ${cb.number}… You talk to them once they answer; the customer stays on this line until then.`;
    } else if (back.callbackId === cb.id || back.status.startsWith("Calling ")) {
      back.callbackId = null;
      if (cb.status === "connected") {
        back.open = false;
        back.status = "";
        showNotice(`You are talking to ${cb.number}: the first line was released.`);
      } else if (cb.status === "no_answer" || cb.status === "expired") {
        back.status = `${cb.number} did not answer (${cb.reason || "no answer"}): you are still with the customer.` +
          (cb.status === "no_answer" ? " It waits in My agenda for another try." : "");
      } else if (cb.status === "failed" || cb.status === "cancelled") {
        back.status = `${cb.number} was not reached: ${cb.reason || cb.status}.`;
      }
    }
    const call = current(node.dataset.callId);
    if (call) renderCall(call);
  }

  /** A short confirmation under the header (not an error). */
  function showNotice(text) {
    const item = SD.el("p", { class: "alert alert-ok", role: "status" }, text,
      SD.el("button", { type: "button", class: "btn btn-quiet alert-close", "aria-label": "Dismiss" }, "×"));
    item.querySelector("button").addEventListener("click", () => item.remove());
    alerts.replaceChildren(item);
  }

  // ---- call data (CAD): editable variables, masked secure values, the first save wins ----
  /**
   * Each call node keeps, per variable, the value and version its edit started from (`base`),
   * what the agent typed (`edits`) and what was revealed. A push updates the variables nobody
   * is editing; an edited one keeps the version it was based on, so the controller refuses the
   * save if someone else saved it meanwhile (409) instead of overwriting their value.
   */
  function setUpCad(node, id) {
    const cad = node.cad = { id, base: new Map(), edits: new Map(), revealed: new Map(), rows: new Map(), call: null, made: 0 };
    const q = (selector) => node.querySelector(selector);
    q(".act-cad-save").addEventListener("click", (e) => saveCad(node, e.currentTarget));
    q(".act-cad-revert").addEventListener("click", () => {
      cad.edits.clear();
      cadMessage(node, "");
      q(".cad-status").textContent = "";
      for (const [name, row] of cad.rows) {
        row.querySelector("input").value = cad.revealed.get(name) ?? (cad.base.get(name) || {}).value ?? "";
      }
      renderCad(node, cad.call, document.body.classList.contains("offline"), true);
    });
  }

  function cadMessage(node, message) { fieldMessage(node.querySelector(".cad-message"), message); }

  const cadLabel = (cad, name) => { const b = cad.base.get(name); return (b && b.label) || name; };

  /** The first too-long edit, as a sentence, or "". */
  function cadTooLong(cad) {
    for (const [name, value] of cad.edits) {
      if (value.length > CAD_LIMIT) {
        return `'${cadLabel(cad, name)}' is ${value.length} characters long; the limit is ${CAD_LIMIT}.`;
      }
    }
    return "";
  }

  function cadRow(node, v) {
    const cad = node.cad;
    cad.made += 1;
    const inputId = `cad-${cad.id}-${cad.made}`;
    const row = SD.el("div", { class: "cad-row", dataset: { name: v.name } },
      SD.el("label", { class: "cad-label", for: inputId }, v.label || v.name),
      SD.el("span", { class: "cad-value", id: inputId + "-value" }),
      SD.el("input", { type: "text", class: "cad-input", id: inputId, autocomplete: "off", spellcheck: "false",
        "aria-describedby": inputId + "-count" }),
      SD.el("button", { type: "button", class: "btn btn-quiet cad-reveal" }, "Show"),
      SD.el("span", { class: "cad-count", id: inputId + "-count" }));
    const input = row.querySelector("input");
    input.addEventListener("input", () => {
      const base = cad.base.get(v.name);
      if (base && input.value === (cad.revealed.get(v.name) ?? base.value ?? "")) cad.edits.delete(v.name);
      else cad.edits.set(v.name, input.value);
      node.querySelector(".cad-status").textContent = "";
      cadMessage(node, cadTooLong(cad));
      renderCad(node, cad.call, document.body.classList.contains("offline"));
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); const b = node.querySelector(".act-cad-save"); if (!b.disabled) saveCad(node, b); }
      if (e.key === "Escape" && cad.edits.has(v.name)) {
        cad.edits.delete(v.name);
        input.value = cad.revealed.get(v.name) ?? (cad.base.get(v.name) || {}).value ?? "";
        renderCad(node, cad.call, document.body.classList.contains("offline"), true);
      }
    });
    row.querySelector(".cad-reveal").addEventListener("click", (e) => toggleReveal(node, v.name, e.currentTarget));
    return row;
  }

  async function toggleReveal(node, name, button) {
    const cad = node.cad;
    if (cad.revealed.has(name)) {
      cad.revealed.delete(name);
      cad.edits.delete(name);
      renderCad(node, cad.call, document.body.classList.contains("offline"), true);
      return;
    }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    // every reveal is asked of the controller, which writes down who saw which value
    const result = await SD.api("POST", `${callPath(cad.id, "data")}/${encodeURIComponent(name)}/reveal`);
    button.removeAttribute("aria-busy");
    if (result.ok) {
      cad.revealed.set(name, String(result.data.value ?? ""));
      cadMessage(node, "");
    } else cadMessage(node, result.data.error);
    renderCad(node, cad.call, document.body.classList.contains("offline"), true);
  }

  /** Take the controller's variables: new values for what nobody edits here. */
  function takeCadValues(cad, data, { dropConflicts = false } = {}) {
    const names = new Set();
    for (const v of data || []) {
      names.add(v.name);
      const before = cad.base.get(v.name);
      const changed = before && before.version !== v.version;
      if (cad.edits.has(v.name) && changed && dropConflicts) cad.edits.delete(v.name);
      if (cad.edits.has(v.name) && before) {
        // keep the version the edit started from; the rest of the variable may change (label, flags)
        cad.base.set(v.name, Object.assign({}, v, { value: before.value, version: before.version }));
      } else {
        cad.base.set(v.name, Object.assign({}, v));
        if (changed) cad.revealed.delete(v.name); // a revealed secure value that changed is hidden again
      }
    }
    for (const name of [...cad.base.keys()]) if (!names.has(name)) { cad.base.delete(name); cad.edits.delete(name); }
  }

  function renderCad(node, call, offline, force = false) {
    const cad = node.cad, section = node.querySelector(".cad");
    if (!call) return;
    const data = Array.isArray(call.data) ? call.data : [];
    if (call !== cad.call || force) takeCadValues(cad, data);
    cad.call = call;
    const over = call === view.ended;
    if (over && !cad.loaded) {
      // a call rebuilt after a reconnect in wrap-up comes without its data: read it once
      cad.loaded = true;
      reloadCad(node);
    }
    section.hidden = data.length === 0;
    if (!data.length) return;
    // the agent may still complete the call's data while wrapping it up
    const editable = over ? !!view.agent && view.agent.state === "wrap_up" : allows(call, "data");
    const list = node.querySelector(".cad-fields");
    const rows = data.map((v) => {
      let row = cad.rows.get(v.name);
      if (!row) { row = cadRow(node, v); cad.rows.set(v.name, row); }
      const base = cad.base.get(v.name) || v;
      const revealed = cad.revealed.has(v.name);
      const canEdit = editable && !!v.editable && (!v.secure || revealed);
      const input = row.querySelector("input"), value = row.querySelector(".cad-value");
      const reveal = row.querySelector(".cad-reveal"), count = row.querySelector(".cad-count");
      row.querySelector(".cad-label").textContent = v.label || v.name;
      const label = row.querySelector(".cad-label");
      if (canEdit) label.setAttribute("for", input.id); else label.removeAttribute("for");
      const current = revealed ? cad.revealed.get(v.name) : base.value ?? "";
      value.textContent = v.secure && !revealed ? shownValue(v) : (current === "" ? "–" : current);
      value.hidden = canEdit;
      input.hidden = !canEdit;
      input.disabled = offline;
      if (canEdit && document.activeElement !== input) input.value = cad.edits.has(v.name) ? cad.edits.get(v.name) : current;
      const typed = cad.edits.has(v.name) ? cad.edits.get(v.name) : null;
      row.dataset.dirty = String(typed !== null);
      row.dataset.secure = String(!!v.secure);
      row.dataset.revealed = String(revealed);
      row.classList.toggle("cad-too-long", typed !== null && typed.length > CAD_LIMIT);
      count.hidden = !canEdit;
      count.textContent = canEdit ? `${(typed ?? current).length}/${CAD_LIMIT}` : "";
      reveal.hidden = !v.secure || (!v.masked && !v.value && !revealed);
      reveal.textContent = revealed ? "Hide" : "Show";
      reveal.setAttribute("aria-label", `${revealed ? "Hide" : "Show"} ${v.label || v.name}`);
      reveal.disabled = offline || busy(reveal);
      return row;
    });
    syncChildren(list, rows);
    for (const name of [...cad.rows.keys()]) if (!data.some((v) => v.name === name)) cad.rows.delete(name);
    const save = node.querySelector(".act-cad-save"), revert = node.querySelector(".act-cad-revert");
    save.hidden = revert.hidden = !editable;
    save.disabled = offline || busy(save) || cad.edits.size === 0;
    revert.disabled = offline || busy(save) || cad.edits.size === 0;
  }

  async function saveCad(node, button) {
    const cad = node.cad;
    const tooLong = cadTooLong(cad);
    if (tooLong) { cadMessage(node, tooLong); return; } // never sent: the controller would refuse it too
    const values = {}, versions = {};
    for (const [name, value] of cad.edits) {
      values[name] = value;
      versions[name] = (cad.base.get(name) || {}).version ?? 0;
    }
    if (!Object.keys(values).length) return;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const result = await SD.api("PATCH", callPath(cad.id, "data"), { values, versions });
    button.removeAttribute("aria-busy");
    const status = node.querySelector(".cad-status");
    if (result.ok) {
      for (const name of Object.keys(values)) {
        if (cad.edits.get(name) === values[name]) cad.edits.delete(name);
        const base = cad.base.get(name);
        if (base) cad.base.set(name, Object.assign({}, base, { value: values[name] }));
      }
      cadMessage(node, "");
      status.textContent = "Saved.";
      // the reply holds the values as saved (with their new versions)
      if (Array.isArray(result.data.data)) applyCad(node, result.data.data); else await reloadCad(node);
    } else {
      status.textContent = "";
      cadMessage(node, result.data.error); // the controller's sentence: who saved first, or what is wrong
      if (result.status === 409) {
        // the values as they are now: in the refusal when the controller sends them, else read again
        const current = Array.isArray(result.data.data) ? result.data.data
          : result.data.call && Array.isArray(result.data.call.data) ? result.data.call.data : null;
        if (current) applyCad(node, current, { dropConflicts: true });
        else await reloadCad(node, { dropConflicts: true });
      }
    }
    renderCad(node, cad.call, document.body.classList.contains("offline"), true);
  }

  /** Read the call's variables again (after someone saved first; a call in wrap-up). */
  async function reloadCad(node, options = {}) {
    const result = await SD.api("GET", callPath(node.cad.id, "data"));
    if (result.ok && Array.isArray(result.data.data)) applyCad(node, result.data.data, options);
  }

  /** Show `data` as the call's variables now (the page's copy of the call keeps them too). */
  function applyCad(node, data, options = {}) {
    const id = node.cad.id;
    takeCadValues(node.cad, data, options);
    if (view.calls.has(id)) view.calls.set(id, Object.assign({}, view.calls.get(id), { data }));
    else if (view.ended && view.ended.id === id) view.ended = Object.assign({}, view.ended, { data });
    render();
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
    const calls = [...view.calls.values()].filter(mine).sort(byArrival);
    const callPopovers = calls.filter((c) => isOffer(c) || isConsultRequest(c));
    const worked = calls.filter((c) => !callPopovers.includes(c));
    const popovers = [...callPopovers, ...callbackItems()].sort(byArrival);
    const offers = popovers.filter(isOffer);
    if (view.ended && !view.calls.has(view.ended.id)) worked.push(view.ended);

    // the agent is told it is ringing a moment before the contact's details arrive
    const connecting = !!agent && agent.state === "ringing" && (agent.call_id
      ? !view.calls.has(agent.call_id) : popovers.length === 0 && worked.length === 0);
    const now = Date.now();
    for (const call of popovers) if (!offerSeen.has(call.id)) offerSeen.set(call.id, now);
    for (const id of [...offerSeen.keys()]) if (!popovers.some((c) => c.id === id)) offerSeen.delete(id);
    // earliest on top; past five, the first five and how many there are
    const shown = popovers.slice(0, MAX_SHOWN_OFFERS);
    const cards = shown.map((c) => (c.callback ? renderCallbackOffer(c) : isOffer(c) ? renderOffer(c) : renderConsultRequest(c)));
    cards.forEach((card, i) => card.classList.toggle("offer-compact", i > 0 && ["offer", "callback"].includes(card.dataset.type)));
    syncChildren(offersList, [...cards, ...(connecting ? [connectingCard] : [])]);
    for (const id of [...offerNodes.keys()]) if (!shown.some((c) => c.id === id)) offerNodes.delete(id);
    offersBox.hidden = shown.length === 0 && !connecting;
    const many = popovers.length > 1;
    $("offers-head").hidden = !many;
    $("offers-count").textContent = popovers.length > MAX_SHOWN_OFFERS
      ? `1–${MAX_SHOWN_OFFERS} of ${popovers.length}` : many ? `${popovers.length} contact requests` : "";
    acceptAll.hidden = offers.length < 2;
    acceptAll.disabled = document.body.classList.contains("offline") || busy(acceptAll) ||
      !offers.some((c) => allows(c, "accept"));
    canDialNow = !!agent && ["available", "idle"].includes(agent.state) && worked.length === 0 && popovers.length === 0;

    syncChildren(callsBox, worked.map(renderCall));
    for (const id of [...callNodes.keys()]) if (!worked.some((c) => c.id === id)) callNodes.delete(id);
    empty.hidden = worked.length > 0;
    $("interaction-hint").hidden = !agent || !["logged_out", "idle", "rona"].includes(agent.state);
    const rona = $("rona"), ronaNow = !!agent && agent.state === "rona";
    if (ronaNow && rona.hidden) setTimeout(() => $("rona-available").focus(), 0); // an alertdialog takes the focus
    rona.hidden = !ronaNow;
    for (const b of rona.querySelectorAll("button")) b.disabled = document.body.classList.contains("offline") || busy(b);
    const offline = document.body.classList.contains("offline");
    apply.disabled = offline || busy(apply);
    // a new call: only with no call at all, and from Available or Idle (the controller refuses the rest)
    newCall.hidden = !agent || offers.length > 0 || worked.length > 0 || ["ringing", "on_call", "wrap_up"].includes(agent.state);
    const canDial = agent && ["available", "idle"].includes(agent.state);
    newDial.disabled = offline || busy(newDial) || !canDial;
    $("new-call-hint").hidden = !!canDial;
    renderDialog();
    DeskCallbacks.render();
    tick();
  }

  // timers move every second without a push
  function tick() {
    if (view.agent) since.textContent = SD.duration(SD.since(view.agent.since));
    for (const [id, node] of offerNodes) {
      const call = view.calls.get(id) || callbackItem(id);
      if (call) tickOffer(node, call);
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

  DeskCallbacks.init({
    agentId: config.agent_id,
    agent: () => view.agent,
    canDial: () => canDialNow,
    showError, clearError, refresh: requestRefresh,
  });

  // ---- pushes: agent_state carries an AgentDict, call and call_ended a CallDict ----
  SD.connect({
    snapshot(data) {
      // a (re)connect replaces everything: nothing stale survives a dropped socket
      const asked = refreshes > 0;
      refreshes = Math.max(0, refreshes - 1);
      view.agent = data.agent;
      view.calls = new Map((data.calls || []).map((c) => [c.id, c]));
      view.callbackOffers = new Map((data.callback_offers || []).map((o) => [o.callback.id, o]));
      // the call to wrap up: the controller finds it by its agent, which misses a call this agent
      // transferred; the page's own (from call_ended) is kept while the agent is still in wrap-up
      const ownEnded = view.agent.state === "wrap_up" ? view.ended : null;
      view.ended = (asked ? ownEnded || data.wrapup_call : data.wrapup_call || ownEnded) || null;
      reflectSelection(view.agent);
      render();
    },
    agent_state(data) {
      view.agent = data;
      if (data.state !== "ringing") {
        // nothing rings for an agent who is not ringing: an offer that failed (ring-no-answer,
        // a refused phone) or was withdrawn is over even when no call_ended comes for it
        for (const [id, call] of view.calls) if (mine(call) && (isOffer(call) || isConsultRequest(call))) view.calls.delete(id);
        view.callbackOffers.clear();
      }
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
      // an offer that went elsewhere (ring timeout, refused) was never this agent's to wrap up,
      // also when the call had been answered by someone before (a blind transfer)
      const offered = call.state === "offering" || (before && isOffer(before));
      if (owned && call.answered_at && !offered) {
        // a call handed to someone else has not ended: its wrap-up time counts from now
        view.ended = Object.assign({}, call, { role: "owner", allowed: [], ended_at: call.ended_at || new Date().toISOString() });
      }
      render();
    },
    callback_offer(offer) {
      view.callbackOffers.set(offer.callback.id, offer);
      render();
    },
    callback_offer_ended(data) {
      view.callbackOffers.delete(Number(data.id));
      render();
    },
    callback(cb) { DeskCallbacks.pushed(cb); callbackOfCall(cb); },
    callback_digits(data) { callbackDigits(data); },
    callback_reminder(cb) { DeskCallbacks.reminded(cb); },
    connect() {
      render();
      DeskCallbacks.load(); // the lists as they are now: pushes missed while offline are in them
    },
    disconnect() { render(); },
  });
})();
