/* The IVR editor: menus as a form or as XML (CodeMirror), checks, dry run, versions, publish.
   Every change goes through /api/admin/ivr; the server renders forms to XML and checks. */
"use strict";

(() => {
  const DIALPLAN = "dialplan/switchdesk.xml";
  const API = "/api/admin/ivr";
  const $ = (selector) => document.querySelector(selector);
  const NUMBER_FIELDS = ["timeout", "inter_digit_timeout", "max_failures", "max_timeouts", "digit_len"];
  const TEXT_FIELDS = ["name", "greet_long", "greet_short", "invalid_sound", "exit_sound"];
  const NO_TARGET = new Set(["top", "back", "hangup"]);
  const TARGET_LIST = { queue: "queue-list", callback: "queue-list", voicemail: "queue-list", submenu: "menu-list" };
  const TARGET_HINT = {
    queue: "queue", callback: "queue", voicemail: "queue", extension: "e.g. 1000",
    route: "extension in the switchdesk context", submenu: "menu",
  };

  /** tab: {key, path, kind: "menu"|"dialplan", mode: "form"|"xml", form, doc, xmlOnly} */
  const state = { overview: null, base: null, tabs: [], current: null, dirty: false, marks: [] };
  let editor = null;
  let tabSeq = 0;

  // ---------------------------------------------------------------- small helpers
  function setStatus(text, kind) {
    const box = $("#status");
    box.textContent = text || "";
    box.dataset.kind = kind || "ok";
  }

  function setDirty(dirty) {
    state.dirty = dirty;
    $("#draft-dirty").hidden = !dirty;
  }

  function menuPath(name) { return `ivr_menus/${name}.xml`; }

  function currentTab() { return state.tabs.find((t) => t.key === state.current); }

  function ensureEditor() {
    if (editor) return editor;
    editor = CodeMirror.fromTextArea($("#xml-text"), {
      mode: "xml", lineNumbers: true, indentUnit: 2, tabSize: 2, lineWrapping: false,
      extraKeys: { Tab: (cm) => cm.replaceSelection("  ") },
    });
    editor.on("change", () => setDirty(true));
    return editor;
  }

  function newDoc(text) { return CodeMirror.Doc(text || "", "xml"); }

  // ---------------------------------------------------------------- overview and versions
  async function loadOverview() {
    const reply = await SD.api("GET", API);
    if (!reply.ok) { setStatus(reply.data.error, "error"); return null; }
    const data = state.overview = reply.data;
    $("#conf-dir").textContent = data.conf_dir;
    fillDatalist("#prompt-list", data.prompts.map((p) => [p.file, p.says]));
    fillDatalist("#queue-list", data.queues.map((q) => [q, ""]));
    renderVersions();
    return data;
  }

  function fillDatalist(selector, items) {
    $(selector).replaceChildren(...items.map(([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      if (label) option.label = label;
      return option;
    }));
  }

  function renderVersions() {
    const data = state.overview;
    const when = (iso) => new Date(SD.parseTime(iso)).toLocaleString();
    $("#versions").replaceChildren(...data.versions.map((v) => {
      const open = SD.el("button", { type: "button", class: "btn v-open" }, "Open");
      open.addEventListener("click", () => openVersion(v.number, true));
      const publish = SD.el("button", { type: "button", class: "btn v-publish" },
        v.live ? "Publish again" : (v.number < (data.live || 0) ? "Roll back to this" : "Publish"));
      publish.addEventListener("click", () => publishVersion(v.number));
      const head = SD.el("div", { class: "v-head" },
        SD.el("span", { class: "v-number" }, `Version ${v.number}`),
        SD.el("span", { class: "muted" }, `${v.author}, ${when(v.created_at)}`));
      if (v.live) head.append(SD.el("span", { class: "live-badge" }, "Live"));
      const item = SD.el("li", { dataset: { number: v.number, live: String(v.live) } }, head);
      if (v.note) item.append(SD.el("span", { class: "v-note" }, v.note));
      item.append(SD.el("div", { class: "v-actions" }, open, publish));
      return item;
    }));
    const options = () => data.versions.map((v) => SD.el("option", { value: v.number }, `Version ${v.number}`));
    $("#diff-older").replaceChildren(...options());
    $("#diff-newer").replaceChildren(...options());
    if (data.versions.length > 1) $("#diff-older").value = data.versions[1].number;
    $("#publications").replaceChildren(...data.publications.map((p) => SD.el("li", { dataset: { ok: String(p.ok) } },
      `${when(p.at)} — ${p.author}: ${p.message}`)));
  }

  async function openVersion(number, ask) {
    if (ask && state.dirty && !window.confirm("Your draft has changes that are not saved. Open another version?")) return;
    const reply = await SD.api("GET", `${API}/versions/${number}`);
    if (!reply.ok) { setStatus(reply.data.error, "error"); return; }
    const data = reply.data;
    state.base = number;
    state.tabs = [];
    for (const path of Object.keys(data.files).sort()) {
      if (path === DIALPLAN) continue;
      const view = data.forms[path] || { menu: null, xml_only: "" };
      state.tabs.push({
        key: `t${++tabSeq}`, path, kind: "menu", mode: view.menu ? "form" : "xml", form: view.menu,
        doc: view.menu ? null : newDoc(data.files[path]), xmlOnly: view.xml_only,
      });
    }
    state.tabs.push({ key: `t${++tabSeq}`, path: DIALPLAN, kind: "dialplan", mode: "xml", form: null,
      doc: newDoc(data.files[DIALPLAN] || ""), xmlOnly: "The dialplan is edited as XML." });
    $("#draft-base").textContent = `from version ${number}${data.version.live ? " (live)" : ""}`;
    const first = state.tabs.find((t) => t.path === menuPath("main")) || state.tabs[0];
    state.current = first.key;
    renderTabs();
    showTab(first.key, false);
    renderProblems(data.problems, false);
    setDirty(false);
  }

  // ---------------------------------------------------------------- tabs
  function tabLabel(tab) {
    if (tab.kind === "dialplan") return "Dialplan";
    const name = tab.mode === "form" && tab.form ? tab.form.name : tab.path.replace(/^ivr_menus\//, "").replace(/\.xml$/, "");
    return name;
  }

  function renderTabs() {
    $("#tabs").replaceChildren(...state.tabs.map((tab) => {
      const button = SD.el("button", {
        type: "button", role: "tab", id: `tab-${tab.key}`, "aria-selected": String(tab.key === state.current),
        dataset: { key: tab.key, path: tab.path },
      }, tabLabel(tab));
      if (tab.kind === "menu") button.append(SD.el("span", { class: "tab-mode" }, tab.mode === "form" ? "form" : "XML"));
      button.addEventListener("click", () => showTab(tab.key, true));
      return button;
    }));
    fillDatalist("#menu-list", state.tabs.filter((t) => t.kind === "menu").map((t) => [tabLabel(t), ""]));
  }

  function keepCurrent() {
    const tab = currentTab();
    if (tab && tab.kind === "menu" && tab.mode === "form") tab.form = readForm();
  }

  function showTab(key, keep) {
    if (keep) keepCurrent();
    state.current = key;
    const tab = currentTab();
    for (const button of document.querySelectorAll("#tabs [role=tab]")) {
      button.setAttribute("aria-selected", String(button.dataset.key === key));
    }
    const formMode = tab.kind === "menu" && tab.mode === "form";
    $("#menu-form").hidden = !formMode;
    $("#xml-editor").hidden = formMode;
    $("#mode-form").setAttribute("aria-pressed", String(formMode));
    $("#mode-xml").setAttribute("aria-pressed", String(!formMode));
    $("#mode-form").disabled = tab.kind !== "menu";
    $("#xml-only").hidden = !(tab.xmlOnly && !formMode);
    $("#xml-only").textContent = tab.xmlOnly ? `Form not available: ${tab.xmlOnly}.` : "";
    if (formMode) {
      fillForm(tab.form);
    } else {
      const cm = ensureEditor();
      cm.swapDoc(tab.doc);
      cm.refresh();
      markProblems();
    }
  }

  // ---------------------------------------------------------------- the form
  function fillForm(form) {
    for (const name of TEXT_FIELDS.concat(NUMBER_FIELDS)) $(`#f-${name}`).value = form[name] ?? "";
    $("#entries tbody").replaceChildren(...form.entries.map(entryRow));
  }

  function entryRow(entry) {
    const digits = SD.el("input", { class: "e-digits", "aria-label": "Keys", maxlength: "10", value: entry.digits || "" });
    const action = SD.el("select", { class: "e-action", "aria-label": "Action" },
      ...Object.entries(state.overview.actions).map(([kind, label]) => SD.el("option", { value: kind }, label)));
    action.value = entry.action || "queue";
    const target = SD.el("input", { class: "e-target", "aria-label": "Target", maxlength: "64", value: entry.target || "" });
    const remove = SD.el("button", { type: "button", class: "btn btn-quiet e-remove" }, "Remove");
    const row = SD.el("tr", {}, SD.el("td", {}, digits), SD.el("td", {}, action), SD.el("td", {}, target), SD.el("td", {}, remove));
    const sync = () => {
      const kind = action.value;
      target.disabled = NO_TARGET.has(kind);
      if (target.disabled) target.value = "";
      target.placeholder = TARGET_HINT[kind] || "";
      if (TARGET_LIST[kind]) target.setAttribute("list", TARGET_LIST[kind]); else target.removeAttribute("list");
    };
    action.addEventListener("change", () => { sync(); setDirty(true); });
    remove.addEventListener("click", () => { row.remove(); setDirty(true); });
    sync();
    return row;
  }

  function readForm() {
    const form = {};
    for (const name of TEXT_FIELDS) form[name] = $(`#f-${name}`).value.trim();
    for (const name of NUMBER_FIELDS) {
      const value = Number.parseInt($(`#f-${name}`).value, 10);
      form[name] = Number.isFinite(value) ? value : 0;
    }
    form.entries = [...document.querySelectorAll("#entries tbody tr")].map((row) => ({
      digits: row.querySelector(".e-digits").value.trim(),
      action: row.querySelector(".e-action").value,
      target: row.querySelector(".e-target").value.trim(),
    }));
    return form;
  }

  // ---------------------------------------------------------------- the draft
  function draft() {
    keepCurrent();
    const files = {}, forms = [];
    for (const tab of state.tabs) {
      if (tab.kind === "menu" && tab.mode === "form") forms.push(tab.form);
      else files[tab.path] = tab.doc.getValue();
    }
    return { files, forms };
  }

  function dialplanTab() { return state.tabs.find((t) => t.kind === "dialplan"); }

  async function switchMode(mode) {
    const tab = currentTab();
    if (tab.kind !== "menu" || tab.mode === mode) return;
    keepCurrent();
    if (mode === "xml") {
      const reply = await SD.api("POST", `${API}/check`, { files: { [DIALPLAN]: dialplanTab().doc.getValue() }, forms: [tab.form] });
      if (!reply.ok) { setStatus(reply.data.error, "error"); return; }
      tab.path = menuPath(tab.form.name);
      tab.doc = newDoc(reply.data.files[tab.path]);
      if (reply.data.files[DIALPLAN] !== dialplanTab().doc.getValue()) dialplanTab().doc.setValue(reply.data.files[DIALPLAN]);
      tab.mode = "xml";
      tab.xmlOnly = "";
    } else {
      const reply = await SD.api("POST", `${API}/check`, { files: { [tab.path]: tab.doc.getValue(), [DIALPLAN]: dialplanTab().doc.getValue() } });
      if (!reply.ok) { setStatus(reply.data.error, "error"); return; }
      const view = reply.data.forms[tab.path];
      if (!view || !view.menu) {
        tab.xmlOnly = view ? view.xml_only : "no menu in this file";
        setStatus(`This menu stays in XML: ${tab.xmlOnly}.`, "error");
        showTab(tab.key, false);
        return;
      }
      tab.form = view.menu;
      tab.mode = "form";
    }
    renderTabs();
    showTab(tab.key, false);
  }

  async function check() {
    const reply = await SD.api("POST", `${API}/check`, draft());
    if (!reply.ok) { setStatus(reply.data.error, "error"); return null; }
    renderProblems(reply.data.problems, true);
    return reply.data;
  }

  function renderProblems(problems, checked) {
    state.problems = problems || [];
    const errors = state.problems.filter((p) => p.severity === "error").length;
    const warnings = state.problems.length - errors;
    $("#problems-none").textContent = state.problems.length ? `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}.`
      : (checked ? "No problems: ready to publish." : "No problems.");
    $("#problems").replaceChildren(...state.problems.map((p) => {
      const where = p.file ? `${p.file}${p.line ? `, line ${p.line}` : ""}${p.column ? `, column ${p.column}` : ""}` : "";
      const go = SD.el("button", { type: "button" }, p.message);
      go.addEventListener("click", () => goTo(p));
      return SD.el("li", { dataset: { severity: p.severity, rule: p.rule } },
        SD.el("span", { class: "where" }, `${p.severity === "error" ? "Error" : "Warning"}${where ? " · " + where : ""}`), go);
    }));
    markProblems();
  }

  function markProblems() {
    if (!editor) return;
    for (const [doc, line] of state.marks) doc.removeLineClass(line, "background", "cm-error-line");
    state.marks = [];
    for (const p of state.problems) {
      const tab = state.tabs.find((t) => t.path === p.file && t.mode === "xml");
      if (!tab || !p.line || p.severity !== "error") continue;
      const line = Math.min(p.line - 1, tab.doc.lineCount() - 1);
      tab.doc.addLineClass(line, "background", "cm-error-line");
      state.marks.push([tab.doc, line]);
    }
  }

  function goTo(problem) {
    const tab = state.tabs.find((t) => t.path === problem.file);
    if (!tab) return;
    showTab(tab.key, true);
    if (tab.mode === "xml" && problem.line) {
      editor.focus();
      editor.setCursor({ line: problem.line - 1, ch: Math.max(problem.column - 1, 0) });
    }
  }

  async function save(publish) {
    const body = { ...draft(), note: $("#note").value.trim(), based_on: state.base, publish };
    setStatus(publish ? "Publishing…" : "Saving…");
    const reply = await SD.api("POST", `${API}/versions`, body);
    if (reply.data.problems) renderProblems(reply.data.problems, true);
    if (!reply.ok && !reply.data.version) { setStatus(reply.data.error, "error"); return; }
    setStatus(reply.data.message || reply.data.error, reply.ok ? "ok" : "error");
    $("#note").value = "";
    await loadOverview();
    await openVersion(reply.data.version, false);
    if (reply.data.problems) renderProblems(reply.data.problems, true);
  }

  async function publishVersion(number) {
    const live = state.overview.live;
    if (live && number < live && !window.confirm(`Roll back to version ${number}? FreeSWITCH will run it at once.`)) return;
    setStatus(`Publishing version ${number}…`);
    const reply = await SD.api("POST", `${API}/versions/${number}/publish`);
    if (reply.data.problems) renderProblems(reply.data.problems, true);
    setStatus(reply.ok ? reply.data.message : reply.data.error, reply.ok ? "ok" : "error");
    await loadOverview();
  }

  async function showDiff() {
    const older = $("#diff-older").value, newer = $("#diff-newer").value;
    const reply = await SD.api("GET", `${API}/diff?older=${encodeURIComponent(older)}&newer=${encodeURIComponent(newer)}`);
    const box = $("#diff");
    box.hidden = false;
    if (!reply.ok) { box.textContent = reply.data.error; return; }
    if (!reply.data.diff) { box.textContent = `Versions ${older} and ${newer} are the same.`; return; }
    box.replaceChildren(...reply.data.diff.split("\n").map((line) => {
      const kind = line.startsWith("@@") ? "hunk" : line.startsWith("+") && !line.startsWith("+++") ? "add"
        : line.startsWith("-") && !line.startsWith("---") ? "del" : "";
      return SD.el("span", kind ? { class: kind } : {}, line + "\n");
    }));
  }

  async function dryRun() {
    const body = { ...draft(), did: $("#dry-did").value.trim(), keys: $("#dry-keys").value.trim() };
    const reply = await SD.api("POST", `${API}/dry-run`, body);
    if (!reply.ok) { $("#dry-outcome").textContent = reply.data.error; return; }
    $("#dry-outcome").textContent = reply.data.outcome.text;
    $("#dry-outcome").dataset.kind = reply.data.outcome.kind;
    $("#dry-steps").replaceChildren(...reply.data.steps.filter((s) => s.kind !== "outcome").map((s) => {
      const item = SD.el("li", { dataset: { kind: s.kind } }, s.text);
      if (s.where) item.append(SD.el("span", { class: "where" }, s.where));
      return item;
    }));
  }

  function newMenu() {
    const name = (window.prompt("Name of the new menu (letters, digits, _ and -):") || "").trim();
    if (!name) return;
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/.test(name)) { setStatus(`'${name}' is not a menu name.`, "error"); return; }
    if (state.tabs.some((t) => t.path === menuPath(name))) { setStatus(`There is already a menu '${name}'.`, "error"); return; }
    keepCurrent();
    const queue = state.overview.queues[0] || "";
    const tab = {
      key: `t${++tabSeq}`, path: menuPath(name), kind: "menu", mode: "form", doc: null, xmlOnly: "",
      form: {
        name, greet_long: "ivr/ivr-welcome.wav", greet_short: "", invalid_sound: "ivr/ivr-that_was_an_invalid_entry.wav",
        exit_sound: "voicemail/vm-goodbye.wav", timeout: 5000, inter_digit_timeout: 2000, max_failures: 3,
        max_timeouts: 3, digit_len: 1, entries: [{ digits: "1", action: "queue", target: queue }],
      },
    };
    state.tabs.splice(state.tabs.length - 1, 0, tab);
    renderTabs();
    showTab(tab.key, false);
    setDirty(true);
  }

  function deleteMenu() {
    const tab = currentTab();
    if (tab.kind !== "menu" || !window.confirm(`Delete the menu ${tabLabel(tab)} from the draft?`)) return;
    state.tabs = state.tabs.filter((t) => t !== tab);
    state.current = state.tabs[0].key;
    renderTabs();
    showTab(state.current, false);
    setDirty(true);
  }

  // ---------------------------------------------------------------- wiring
  $("#mode-form").addEventListener("click", () => switchMode("form"));
  $("#mode-xml").addEventListener("click", () => switchMode("xml"));
  $("#add-entry").addEventListener("click", () => {
    $("#entries tbody").append(entryRow({ digits: "", action: "queue", target: "" }));
    setDirty(true);
  });
  $("#menu-form").addEventListener("input", () => setDirty(true));
  $("#f-name").addEventListener("change", () => { keepCurrent(); renderTabs(); });
  $("#check").addEventListener("click", check);
  $("#save").addEventListener("click", () => save(false));
  $("#publish").addEventListener("click", () => save(true));
  $("#diff-show").addEventListener("click", showDiff);
  $("#dry-run").addEventListener("click", dryRun);
  $("#new-menu").addEventListener("click", newMenu);
  $("#delete-menu").addEventListener("click", deleteMenu);
  window.addEventListener("beforeunload", (event) => { if (state.dirty) { event.preventDefault(); event.returnValue = ""; } });

  window.IVR = { state, editor: () => editor };  // for the browser console and the browser tests

  (async () => {
    SD.connect({});
    const data = await loadOverview();
    if (data) await openVersion(data.latest, false);
  })();
})();
