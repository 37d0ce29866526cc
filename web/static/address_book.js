/* The shared address book in the desktop: a filter and a list of named numbers. Picking an entry
   fills a number field (the page and the controller still check the number when it is dialed).
   Used by the transfer/consult dialog and the New call form; supervisors keep the book. */
"use strict";

const AddressBook = (() => {
  let entries = null, loading = null;

  /** The entries, read once per `reload` (the dialog reads them again each time it opens). */
  async function load(reload = false) {
    if (entries && !reload) return entries;
    if (!loading) {
      loading = SD.api("GET", "/api/address-book").then((result) => {
        loading = null;
        if (!result.ok) throw new Error(result.data.error);
        entries = result.data.entries || [];
        return entries;
      });
    }
    return loading;
  }

  const fold = (text) => String(text || "").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  const digits = (text) => String(text || "").replace(/[^0-9]/g, "");

  /** Whether `entry` matches what was typed: any word in its name, team or note, or digits of its number. */
  function matches(entry, typed) {
    const words = fold(typed).split(/\s+/).filter(Boolean);
    if (!words.length) return true;
    const text = fold([entry.name, entry.team, entry.note].join(" "));
    return words.every((w) => {
      if (text.includes(w)) return true;
      const typedDigits = digits(w); // "555-01" finds +12125550100
      return typedDigits.length >= 2 && /^[0-9+\-().]+$/.test(w) && digits(entry.number).includes(typedDigits);
    });
  }

  /**
   * Wire a filter input and a list to the book.
   * @param {{filter: HTMLInputElement, list: HTMLElement, status: HTMLElement, onPick: (entry) => void}} parts
   * @returns {{open: () => Promise<void>}} open(): read the book again and show it
   */
  function picker({ filter, list, status, onPick }) {
    function render() {
      const shown = (entries || []).filter((e) => matches(e, filter.value));
      list.replaceChildren(...shown.map((e) => {
        const button = SD.el("button", { type: "button", class: "book-entry", dataset: { entryId: e.id, number: e.number },
          "aria-label": `${e.name}, ${e.number}${e.team ? ", " + e.team : ""}` },
          SD.el("span", { class: "target-name" }, e.name),
          SD.el("span", { class: "book-number" }, e.number),
          SD.el("span", { class: "target-meta" }, [e.team, e.note].filter(Boolean).join(" · ")));
        button.addEventListener("click", () => onPick(e));
        return SD.el("li", { class: "book-item" }, button);
      }));
      status.textContent = entries === null ? "Loading…" : !entries.length ? "The address book is empty."
        : !shown.length ? `No entry matches '${filter.value.trim()}'.` : "";
      status.hidden = !status.textContent;
    }

    filter.addEventListener("input", render);
    filter.addEventListener("keydown", (e) => {
      const first = list.querySelector("button");
      if (e.key === "ArrowDown" && first) { e.preventDefault(); first.focus(); }
      if (e.key === "Enter") { e.preventDefault(); if (first) first.click(); }
    });
    list.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
      const buttons = [...list.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      if (at < 0) return;
      e.preventDefault();
      const next = at + (e.key === "ArrowDown" ? 1 : -1);
      (next < 0 ? filter : buttons[Math.min(next, buttons.length - 1)]).focus();
    });

    async function open() {
      render();
      try {
        await load(true);
      } catch (err) {
        status.textContent = err.message;
        status.hidden = false;
        return;
      }
      render();
    }
    return { open, render };
  }

  return { picker, load, matches };
})();
