/* The supervisor page's address book: add, change and remove the named numbers agents pick in their dialogs.
   The controller checks every field (the dial-number rules, a name used once) and its sentence is shown. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const body = document.querySelector("#book-table tbody");
  const fields = { name: $("book-name"), number: $("book-number"), team: $("book-team"), note: $("book-note") };
  let editing = null; // the entry being changed, or null: the form adds one

  function message(text) {
    $("book-message").textContent = text || "";
    $("book-message").hidden = !text;
  }

  function render(entries) {
    $("book-count").textContent = `(${entries.length})`;
    body.replaceChildren(...entries.map((e) => {
      const edit = SD.el("button", { type: "button", class: "btn btn-quiet book-edit", "aria-label": `Change ${e.name}` }, "Change");
      const drop = SD.el("button", { type: "button", class: "btn btn-quiet book-delete", "aria-label": `Remove ${e.name}` }, "Remove");
      edit.addEventListener("click", () => startEdit(e));
      drop.addEventListener("click", () => remove(e, drop));
      return SD.el("tr", { dataset: { entryId: e.id } }, SD.el("td", { class: "book-name" }, e.name),
        SD.el("td", { class: "book-number" }, e.number), SD.el("td", {}, e.team), SD.el("td", {}, e.note),
        SD.el("td", { class: "book-actions" }, edit, drop));
    }));
  }

  async function load() {
    const result = await SD.api("GET", "/api/address-book");
    if (result.ok) render(result.data.entries); else message(result.data.error);
  }

  function startEdit(entry) {
    editing = entry;
    for (const [name, input] of Object.entries(fields)) input.value = entry[name] || "";
    $("book-save").textContent = "Save";
    $("book-cancel").hidden = false;
    message("");
    fields.name.focus();
  }

  function reset() {
    editing = null;
    for (const input of Object.values(fields)) input.value = "";
    $("book-save").textContent = "Add";
    $("book-cancel").hidden = true;
  }

  async function remove(entry, button) {
    button.disabled = true;
    const result = await SD.api("DELETE", `/api/address-book/${encodeURIComponent(entry.id)}`);
    if (!result.ok) { message(result.data.error); button.disabled = false; return; }
    if (editing && editing.id === entry.id) reset();
    message("");
    load();
  }

  $("book-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const save = $("book-save");
    const values = Object.fromEntries(Object.entries(fields).map(([name, input]) => [name, input.value]));
    if (!values.name.trim()) { message("Give the entry a name."); fields.name.focus(); return; }
    if (!values.number.trim()) { message("Type the entry's number."); fields.number.focus(); return; }
    save.disabled = true;
    const result = editing
      ? await SD.api("PATCH", `/api/address-book/${encodeURIComponent(editing.id)}`, values)
      : await SD.api("POST", "/api/address-book", values);
    save.disabled = false;
    if (!result.ok) { message(result.data.error); return; } // nothing changed: the controller's sentence
    message("");
    reset();
    fields.name.focus();
    load();
  });
  $("book-cancel").addEventListener("click", () => { reset(); message(""); });
  for (const input of Object.values(fields)) input.addEventListener("input", () => message(""));
  $("book-details").addEventListener("toggle", () => { if ($("book-details").open) load(); });
  load();
})();
