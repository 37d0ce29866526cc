/* Campaign administration: campaigns and their settings, contacts (CSV), progress.
   Everything goes through /api/campaigns; the server checks every field and row. */
"use strict";

(() => {
  const API = "/api/campaigns";
  const PAGE = 50;
  const $ = (selector) => document.querySelector(selector);
  const STATUS_LABELS = { ready: "Ready", dialing: "Dialing", scheduled: "Scheduled", done: "Done" };
  const state = { campaigns: [], queues: [], editing: null, selected: null, offset: 0, total: 0 };

  function setStatus(text, kind) {
    const box = $("#status");
    box.textContent = text || "";
    box.dataset.kind = kind || "ok";
  }

  function when(value) {
    const ms = SD.parseTime(value);
    return ms === null ? "" : new Date(ms).toLocaleString();
  }

  // ---------------------------------------------------------------- campaigns
  async function loadCampaigns() {
    const reply = await SD.api("GET", API);
    if (!reply.ok) { setStatus(reply.data.error, "error"); return; }
    state.campaigns = reply.data.campaigns;
    state.queues = reply.data.queues;
    renderCampaigns();
    const selected = state.campaigns.find((c) => c.id === state.selected);
    if (selected) renderProgress(selected);
  }

  function renderCampaigns() {
    const body = $("#campaigns tbody");
    body.replaceChildren();
    $("#no-campaigns").hidden = state.campaigns.length > 0;
    for (const c of state.campaigns) {
      const p = c.progress || {};
      const toggle = SD.el("button", { type: "button", class: "btn", "data-action": c.active ? "pause" : "activate" },
        c.active ? "Pause" : "Activate");
      toggle.addEventListener("click", () => setActive(c, !c.active, toggle));
      const edit = SD.el("button", { type: "button", class: "btn" }, "Edit");
      edit.addEventListener("click", () => openForm(c));
      const contacts = SD.el("button", { type: "button", class: "btn" }, "Contacts");
      contacts.addEventListener("click", () => selectCampaign(c.id));
      const row = SD.el("tr", { dataset: { id: c.id }, "aria-selected": String(c.id === state.selected) },
        SD.el("td", {}, c.name), SD.el("td", {}, c.queue),
        SD.el("td", { class: "campaign-state", dataset: { active: String(c.active) } }, c.active ? "Dialing" : "Paused"),
        SD.el("td", { class: "num" }, p.ready ?? 0), SD.el("td", { class: "num" }, p.dialing ?? 0),
        SD.el("td", { class: "num" }, p.scheduled ?? 0), SD.el("td", { class: "num" }, p.done ?? 0),
        SD.el("td", { class: "num" }, p.total ?? 0),
        SD.el("td", { class: "row-actions" }, toggle, edit, contacts));
      body.append(row);
    }
  }

  async function setActive(campaign, active, button) {
    button.disabled = true;
    const reply = await SD.api("POST", `${API}/${campaign.id}/${active ? "activate" : "pause"}`);
    button.disabled = false;
    if (!reply.ok) { setStatus(reply.data.error, "error"); return; }
    setStatus(`${reply.data.campaign.name} is ${active ? "dialing" : "paused"}.`);
    await loadCampaigns();
  }

  function openForm(campaign) {
    state.editing = campaign ? campaign.id : null;
    $("#campaign-panel").hidden = false;
    $("#form-title").textContent = campaign ? `Edit ${campaign.name}` : "New campaign";
    const queue = $("#c-queue");
    const choices = campaign ? [campaign.queue] : state.queues;
    queue.replaceChildren(...choices.map((q) => SD.el("option", { value: q }, q)));
    queue.disabled = !!campaign;  // a campaign keeps its queue
    $("#c-name").value = campaign ? campaign.name : "";
    $("#c-max_attempts").value = campaign ? campaign.max_attempts : 3;
    $("#c-retry_minutes").value = campaign ? Math.round(campaign.retry_delay / 60) : 10;
    if (campaign) $("#c-dispositions").value = campaign.dispositions.join("\n");
    $("#c-active").checked = campaign ? campaign.active : false;
    if (!campaign && !state.queues.length) setStatus("Every queue has a campaign: make a queue first.", "error");
    $("#c-name").focus();
  }

  async function saveCampaign(event) {
    event.preventDefault();
    const number = (id) => Number.parseInt($(id).value, 10);
    const body = {
      name: $("#c-name").value,
      max_attempts: number("#c-max_attempts"),
      retry_delay: number("#c-retry_minutes") * 60,
      dispositions: $("#c-dispositions").value.split("\n").map((d) => d.trim()).filter((d) => d),
      active: $("#c-active").checked,
    };
    if (!Number.isFinite(body.max_attempts) || !Number.isFinite(body.retry_delay)) {
      setStatus("Attempts and minutes between attempts are whole numbers.", "error");
      return;
    }
    const button = $("#save-campaign");
    button.disabled = true;
    const reply = state.editing
      ? await SD.api("PATCH", `${API}/${state.editing}`, body)
      : await SD.api("POST", API, { ...body, queue: $("#c-queue").value });
    button.disabled = false;
    if (!reply.ok) { setStatus(reply.data.error, "error"); return; }
    setStatus(`${reply.data.campaign.name} is saved.`);
    $("#campaign-panel").hidden = true;
    state.editing = null;
    await loadCampaigns();
    selectCampaign(reply.data.campaign.id);
  }

  // ---------------------------------------------------------------- contacts of one campaign
  function selectCampaign(id) {
    state.selected = id;
    state.offset = 0;
    $("#contacts-panel").hidden = false;
    renderCampaigns();
    const campaign = state.campaigns.find((c) => c.id === id);
    if (campaign) renderProgress(campaign);
    loadContacts();
  }

  function renderProgress(campaign) {
    $("#contacts-campaign").textContent = `${campaign.name} (queue ${campaign.queue})`;
    const p = campaign.progress || {};
    const figures = [["Total", p.total], ["Ready", p.ready], ["Ready now", p.ready_now], ["Dialing", p.dialing],
      ["Scheduled", p.scheduled], ["Done", p.done]];
    $("#progress").replaceChildren(...figures.flatMap(([label, value]) => [
      SD.el("dt", {}, label), SD.el("dd", { dataset: { figure: label.toLowerCase().replace(" ", "_") } }, value ?? 0)]));
    const parts = Object.entries(p.by_disposition || {}).map(([d, n]) => `${d}: ${n}`);
    $("#by-disposition").textContent = parts.length ? parts.join(" · ") : "none yet";
  }

  async function loadContacts() {
    if (state.selected === null) return;
    const status = $("#contact-status").value;
    const query = new URLSearchParams({ limit: PAGE, offset: state.offset });
    if (status) query.set("status", status);
    const reply = await SD.api("GET", `${API}/${state.selected}/contacts?${query}`);
    if (!reply.ok) { setStatus(reply.data.error, "error"); return; }
    state.total = reply.data.total;
    const body = $("#contacts tbody");
    body.replaceChildren(...reply.data.contacts.map(contactRow));
    const last = Math.min(state.offset + PAGE, state.total);
    $("#contacts-count").textContent = state.total ? `${state.offset + 1}–${last} of ${state.total}` : "No contacts.";
    $("#prev-page").disabled = state.offset === 0;
    $("#next-page").disabled = last >= state.total;
  }

  function contactRow(c) {
    const remove = SD.el("button", { type: "button", class: "btn btn-quiet" }, "Remove");
    remove.disabled = c.status === "dialing";
    remove.addEventListener("click", () => removeContact(c, remove));
    return SD.el("tr", { dataset: { id: c.id, status: c.status } },
      SD.el("td", {}, c.number), SD.el("td", {}, c.name),
      SD.el("td", {}, STATUS_LABELS[c.status] || c.status), SD.el("td", { class: "num" }, c.attempts),
      SD.el("td", {}, c.disposition), SD.el("td", {}, c.status === "ready" || c.status === "scheduled" ? when(c.next_at) : ""),
      SD.el("td", {}, remove));
  }

  async function removeContact(contact, button) {
    if (!window.confirm(`Remove ${contact.number} from the campaign?`)) return;
    button.disabled = true;
    const reply = await SD.api("DELETE", `${API}/${state.selected}/contacts/${contact.id}`);
    if (!reply.ok) { button.disabled = false; setStatus(reply.data.error, "error"); return; }
    setStatus(`${contact.number} is removed.`);
    await Promise.all([loadCampaigns(), loadContacts()]);
  }

  async function importContacts() {
    const file = $("#import-file").files[0];
    const text = file ? await file.text() : $("#import-text").value;
    if (!text.trim()) { setStatus("Paste contacts or choose a CSV file first.", "error"); return; }
    const button = $("#import");
    button.disabled = true;
    const reply = await SD.api("POST", `${API}/${state.selected}/contacts/csv`,
      { csv: text, skip_bad_rows: $("#skip-bad-rows").checked });
    button.disabled = false;
    const problems = reply.ok ? reply.data.skipped : (reply.data.problems || []);
    $("#problems-title").hidden = problems.length === 0;
    $("#problems").replaceChildren(...problems.map((p) =>
      SD.el("li", {}, SD.el("span", { class: "where" }, `line ${p.line}`), `${p.number || "(no number)"}: ${p.reason}`)));
    if (!reply.ok) { setStatus(reply.data.error, "error"); return; }
    const d = reply.data;
    setStatus(`${d.added} added, ${d.updated} already in the campaign (updated)` +
      (d.skipped.length ? `, ${d.skipped.length} bad rows skipped` : "") + `; ${d.total} contacts in all.`);
    $("#import-text").value = "";
    $("#import-file").value = "";
    await Promise.all([loadCampaigns(), loadContacts()]);
  }

  // ---------------------------------------------------------------- wiring
  $("#new-campaign").addEventListener("click", () => openForm(null));
  $("#close-campaign").addEventListener("click", () => { $("#campaign-panel").hidden = true; state.editing = null; });
  $("#campaign-form").addEventListener("submit", saveCampaign);
  $("#import").addEventListener("click", importContacts);
  $("#contact-status").addEventListener("change", () => { state.offset = 0; loadContacts(); });
  $("#prev-page").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); loadContacts(); });
  $("#next-page").addEventListener("click", () => { state.offset += PAGE; loadContacts(); });
  loadCampaigns();
  // progress moves while the campaign dials
  setInterval(() => { if (!document.hidden) { loadCampaigns(); loadContacts(); } }, 5000);
})();
